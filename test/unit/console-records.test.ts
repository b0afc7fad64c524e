// The web console's pure page modules (public/console/js): how the message browser shows and
// filters a record, the rates its charts draw, and the SSE parser of its live tail.
import { describe, expect, it } from "vitest";
import { sseEvents } from "../../public/console/js/live-tail.js";
import { rates } from "../../public/console/js/rates.js";
import { formatValue, keyText, matches } from "../../public/console/js/records.js";

const json = { partition: 0, offset: 0, key: "k1", value: { id: 1, tags: ["a"] }, headers: { source: "web" } };
const text = { partition: 0, offset: 1, value: "<b>hi</b>" };
const utf8 = { partition: 0, offset: 2, keyBase64: btoa("bin-key"), valueBase64: btoa('{"n":2}') };
const binary = { partition: 0, offset: 3, valueBase64: "AAECAwQFBgcICQoLDA0ODxAR" };

describe("the console's record formats", () => {
  it("shows a JSON value pretty-printed, as compact text, or as the hex of its JSON text", () => {
    expect(formatValue(json, "json")).toBe('{\n  "id": 1,\n  "tags": [\n    "a"\n  ]\n}');
    expect(formatValue(json, "text")).toBe('{"id":1,"tags":["a"]}');
    expect(formatValue({ value: { a: 1 } }, "hex")).toBe("000000  7b 22 61 22 3a 31 7d");
  });

  it("shows a string value as itself in JSON and text, and its UTF-8 bytes in hex", () => {
    expect(formatValue(text, "json")).toBe("<b>hi</b>");
    expect(formatValue(text, "text")).toBe("<b>hi</b>");
    expect(formatValue({ value: "é" }, "hex")).toBe("000000  c3 a9");
  });

  it("decodes a binary value that is UTF-8 text, and parses it as JSON when it is", () => {
    expect(formatValue(utf8, "json")).toBe('{\n  "n": 2\n}');
    expect(formatValue(utf8, "text")).toBe('{"n":2}');
    expect(keyText(utf8)).toBe("bin-key");
  });

  it("shows binary that is not text as hex whatever the format asked, 16 bytes a line", () => {
    const hex = "000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n000010  10 11";
    expect(formatValue(binary, "json")).toBe(hex);
    expect(formatValue(binary, "text")).toBe(hex);
    expect(formatValue(binary, "hex")).toBe(hex);
  });

  it("filters on key and value text (case-insensitive) and on a header's presence or value", () => {
    expect(matches(json, { key: "K1" })).toBe(true);
    expect(matches(json, { key: "k2" })).toBe(false);
    expect(matches(json, { value: '"TAGS"' })).toBe(true);
    expect(matches(text, { value: "<b>" })).toBe(true);
    expect(matches(json, { header: "source" })).toBe(true);
    expect(matches(json, { header: "source=WE" })).toBe(true);
    expect(matches(json, { header: "source=app" })).toBe(false);
    expect(matches(text, { header: "source" })).toBe(false);
    expect(matches(json, {})).toBe(true);
  });
});

describe("the console's rates", () => {
  it("answers the per-second change of a counter, and 0 first and when it went down", () => {
    const rate = rates();
    expect(rate("t", 100, 1_000)).toBe(0);
    expect(rate("t", 400, 4_000)).toBe(100);
    expect(rate("t", 10, 5_000)).toBe(0);
    expect(rate("u", 5, 5_000)).toBe(0);
  });
});

describe("the live tail's SSE parser", () => {
  it("parses events split anywhere across chunks, skipping comments and retry lines", async () => {
    const wire =
      'retry: 1000\n\n: ping\n\nid: 3\nevent: records\ndata: {"records":[],"nextOffset":3}\n\r\nid: 5\nevent: records\ndata: {"nextOffset":5}\n\n';
    const bytes = new TextEncoder().encode(wire);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.subarray(i, i + 7));
        controller.close();
      },
    });
    const events = [];
    for await (const e of sseEvents(body, new AbortController().signal)) events.push(e);
    expect(events).toEqual([
      { id: "3", event: "records", data: '{"records":[],"nextOffset":3}' },
      { id: "5", event: "records", data: '{"nextOffset":5}' },
    ]);
  });
});
