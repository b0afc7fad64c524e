// The command line's pure parsing: -o offset specs, kcat's -f formats, -K key splitting and
// headers, topic config arguments, and where the connection comes from.
import { describe, expect, it } from "vitest";
import { collectConfig, configName } from "../../cli/config-args.ts";
import { resolveConnection } from "../../cli/connection.ts";
import { parseOffsetSpec, parseResetTarget, startOffset } from "../../cli/offset-spec.ts";
import { describeError, renderTable, UsageError } from "../../cli/output.ts";
import { lineToMessage, parseHeader, splitKey } from "../../cli/produce-lines.ts";
import { compileFormat, jsonLine, type PrintedRecord } from "../../cli/record-format.ts";
import { TributaryError } from "../../sdk/index.ts";

describe("consume -o", () => {
  it("reads beginning, end, an offset, -<n> and @<ms>", () => {
    expect(parseOffsetSpec("beginning")).toEqual({ kind: "beginning" });
    expect(parseOffsetSpec("end")).toEqual({ kind: "end" });
    expect(parseOffsetSpec("42")).toEqual({ kind: "offset", offset: 42 });
    expect(parseOffsetSpec("-10")).toEqual({ kind: "last", count: 10 });
    expect(parseOffsetSpec("@1733300000000")).toEqual({ kind: "timestamp", ms: 1733300000000 });
  });

  it("refuses anything else, saying what -o may be", () => {
    for (const bad of ["", "start", "4.2", "-", "@", "@x", "+3", "99999999999999999999"]) {
      expect(() => parseOffsetSpec(bad), bad).toThrow(UsageError);
    }
    expect(() => parseOffsetSpec("start")).toThrow(/beginning, end, an offset/);
  });

  it("starts -<n> n records before the high watermark, never below the log start", () => {
    const bounds = { logStartOffset: 100, highWatermark: 150 };
    expect(startOffset({ kind: "last", count: 10 }, bounds)).toBe(140);
    expect(startOffset({ kind: "last", count: 500 }, bounds)).toBe(100);
    expect(startOffset({ kind: "beginning" }, bounds)).toBe(100);
    expect(startOffset({ kind: "end" }, bounds)).toBe(150);
    expect(startOffset({ kind: "offset", offset: 120 }, bounds)).toBe(120);
  });

  it("turns group reset-offsets --to into the API's targets, refusing -<n>", () => {
    expect(parseResetTarget("beginning")).toBe("earliest");
    expect(parseResetTarget("end")).toBe("latest");
    expect(parseResetTarget("7")).toEqual({ offset: 7 });
    expect(parseResetTarget("@1000")).toEqual({ timestamp: 1000 });
    expect(() => parseResetTarget("-5")).toThrow(/--to -5/);
  });
});

describe("consume -f", () => {
  const record: PrintedRecord = {
    topic: "orders",
    partition: 2,
    offset: 41,
    timestamp: 1733300000000,
    key: "ada",
    value: { total: 10 },
    headers: { source: "cli", n: "1" },
  };

  it("prints kcat's fields and escapes", () => {
    expect(compileFormat("%t %p %o %k %s %T\\n")(record)).toBe('orders 2 41 ada {"total":10} 1733300000000\n');
    expect(compileFormat("%h|%K|%S\\t100%%")(record)).toBe("source=cli,n=1|3|12\t100%");
  });

  it("prints a text value as it is, bytes as UTF-8, and null key and value as empty with length -1", () => {
    const format = compileFormat("[%k][%s] %K %S");
    expect(format({ ...record, value: "héllo" })).toBe("[ada][héllo] 3 6");
    expect(format({ ...record, key: null, value: new TextEncoder().encode("raw") })).toBe("[][raw] -1 3");
    expect(format({ ...record, key: null, value: null })).toBe("[][] -1 -1");
  });

  it("names an unknown field or escape", () => {
    expect(() => compileFormat("%x")).toThrow(/%x is not a field/);
    expect(() => compileFormat("\\q")).toThrow(/\\q is not an escape/);
    expect(() => compileFormat("50%")).toThrow(/lone %/);
  });

  it("prints --json records one per line, bytes as base64", () => {
    const line = jsonLine({ ...record, key: new Uint8Array([1, 2]), value: "v" });
    expect(line.endsWith("\n")).toBe(true);
    expect(JSON.parse(line)).toEqual({
      topic: "orders",
      partition: 2,
      offset: 41,
      timestamp: 1733300000000,
      keyBase64: "AQI=",
      value: "v",
      headers: { source: "cli", n: "1" },
    });
  });
});

describe("produce lines", () => {
  it("splits at the first -K separator; a line without one has no key", () => {
    expect(splitKey('ada:{"a":1}', ":")).toEqual({ key: "ada", value: '{"a":1}' });
    expect(splitKey("a:b:c", ":")).toEqual({ key: "a", value: "b:c" });
    expect(splitKey("k::v", "::")).toEqual({ key: "k", value: "v" });
    expect(splitKey(":v", ":")).toEqual({ key: "", value: "v" });
    expect(splitKey("no separator", ":")).toEqual({ key: null, value: "no separator" });
  });

  it("makes messages: text values, --json values parsed, headers and partition on each", () => {
    expect(lineToMessage("a:1", { keySeparator: ":" }, 1)).toEqual({ key: "a", value: "1" });
    expect(lineToMessage('a:{"n":1}', { keySeparator: ":", json: true }, 1)).toEqual({ key: "a", value: { n: 1 } });
    expect(lineToMessage("x", { headers: { s: "cli" }, partition: 2 }, 1)).toEqual({
      value: "x",
      headers: { s: "cli" },
      partition: 2,
    });
  });

  it("refuses a --json line that is not JSON, naming the line", () => {
    expect(() => lineToMessage("{oops", { json: true }, 7)).toThrow(/line 7: the value is not JSON/);
  });

  it("reads -H key=value, the value holding any =", () => {
    expect(parseHeader("a=b=c")).toEqual(["a", "b=c"]);
    expect(parseHeader("empty=")).toEqual(["empty", ""]);
    expect(() => parseHeader("novalue")).toThrow(/key=value/);
    expect(() => parseHeader("=v")).toThrow(/key=value/);
  });
});

describe("topic configs", () => {
  it("takes Kafka's dotted names and the API's, numbers as numbers", () => {
    expect(configName("retention.ms")).toBe("retentionMs");
    expect(configName("min.insync.replicas")).toBe("minInsyncReplicas");
    expect(configName("maxMessageBytes")).toBe("maxMessageBytes");
    expect(collectConfig("cleanup.policy=compact,delete", collectConfig("retention.ms=-1"))).toEqual({
      retentionMs: -1,
      cleanupPolicy: "compact,delete",
    });
    expect(() => collectConfig("retention.ms")).toThrow(/name=value/);
  });
});

describe("the connection", () => {
  const file = {
    current: "local",
    profiles: { local: { url: "http://local", token: "t-local" }, prod: { url: "https://prod", token: "t-prod" } },
  };
  const env = { TRIBUTARY_URL: "http://env", TRIBUTARY_TOKEN: "t-env" };

  it("takes flags over --profile over the environment over the current profile", () => {
    expect(resolveConnection({ url: "http://flag", token: "t-flag", profile: "prod" }, env, file)).toMatchObject({
      url: "http://flag",
      token: "t-flag",
    });
    expect(resolveConnection({ profile: "prod" }, env, file)).toMatchObject({ url: "https://prod", token: "t-prod" });
    expect(resolveConnection({}, env, file)).toMatchObject({ url: "http://env", token: "t-env" });
    expect(resolveConnection({}, {}, file)).toMatchObject({ url: "http://local", token: "t-local" });
    expect(resolveConnection({ token: "t-flag" }, {}, file)).toMatchObject({ url: "http://local", token: "t-flag" });
  });

  it("defaults the URL to the local worker, and needs a token", () => {
    expect(resolveConnection({ token: "t" }, {}, { profiles: {} })).toMatchObject({ url: "http://127.0.0.1:8787" });
    expect(() => resolveConnection({}, {}, { profiles: {} })).toThrow(/no token: pass --token, set TRIBUTARY_TOKEN/);
  });

  it("names the profiles there are when --profile names none", () => {
    expect(() => resolveConnection({ profile: "staging" }, env, file)).toThrow(
      /no such profile \(there are: local, prod/,
    );
  });
});

describe("output", () => {
  it("prints an error as one line with its code", () => {
    const api = new TributaryError({
      code: "UNKNOWN_TOPIC_OR_PARTITION",
      message: "topic 'x'\ndoes not exist",
      retriable: false,
    });
    expect(describeError(api)).toEqual({
      line: "tributary: UNKNOWN_TOPIC_OR_PARTITION: topic 'x' does not exist",
      exitCode: 1,
    });
    expect(describeError(new UsageError("bad -o"))).toEqual({ line: "tributary: USAGE: bad -o", exitCode: 2 });
    expect(describeError(Object.assign(new Error("no such file"), { code: "ENOENT" })).line).toBe(
      "tributary: ENOENT: no such file",
    );
  });

  it("aligns plain columns on a pipe, without borders or trailing spaces", () => {
    expect(
      renderTable(
        ["name", "n"],
        [
          ["a", 1],
          ["long-name", null],
        ],
        false,
      ),
    ).toBe("name       n\na          1\nlong-name  -");
  });
});
