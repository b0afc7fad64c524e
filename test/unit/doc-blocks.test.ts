import { describe, expect, it } from "vitest";
import {
  disallowedConsoleLines,
  fencedBlocks,
  instrumentShell,
  instrumentTs,
  mismatches,
  parseExpectation,
  reportedValues,
  TS_EXPECT_MARK,
} from "../helpers/doc-blocks.ts";

const matches = (expected: string, actual: unknown) => mismatches(parseExpectation(expected), actual);

describe("fencedBlocks", () => {
  it("finds each block with its language, line and heading, bare fences as language ''", () => {
    const md = ["# Title", "", "## Run it", "```sh", "curl -s x", "```", "text", "```", "plain", "```"].join("\n");
    expect(fencedBlocks(md)).toEqual([
      { lang: "sh", code: "curl -s x", line: 4, heading: "Run it" },
      { lang: "", code: "plain", line: 8, heading: "Run it" },
    ]);
  });

  it("does not take a # line inside a block for a heading, and strips a list item's indent", () => {
    const md = ["## A", "- item", "  ```sh", "  # a comment", "  echo", "  ```", "```ts", "x", "```"].join("\n");
    const blocks = fencedBlocks(md);
    expect(blocks[0]).toEqual({ lang: "sh", code: "# a comment\necho", line: 3, heading: "A" });
    expect(blocks[1]!.heading).toBe("A");
  });

  it("refuses a fence that is never closed", () => {
    expect(() => fencedBlocks("```sh\necho")).toThrow(/line 1 is never closed/);
  });
});

describe("expectations", () => {
  it("match exact JSON exactly: no key more, no element more", () => {
    expect(matches('{"deleted":"clicks"}', { deleted: "clicks" })).toEqual([]);
    expect(matches('{"deleted":"clicks"}', { deleted: "clicks", extra: 1 })).toEqual([
      "$: unexpected keys extra (end the object with … to allow more)",
    ]);
    expect(matches("[1,2]", [1, 2, 3])).toEqual(["$: expected 2 elements, got 3"]);
    expect(matches('{"a":{"b":[1]}}', { a: { b: [2] } })).toEqual(["$.a.b[0]: expected 1, got 2"]);
  });

  it("take … as a value for any value, null and objects included", () => {
    expect(matches('{"offset":…,"timestamp":…}', { offset: 3, timestamp: null })).toEqual([]);
    expect(matches("[…, 2]", [{ any: "thing" }, 2])).toEqual([]);
    expect(matches('{"offset":…}', {})).toEqual(["$.offset: missing"]);
  });

  it("take … in an object for more keys, and last in an array for more elements", () => {
    expect(matches('{"partition":2,…}', { partition: 2, offset: 0 })).toEqual([]);
    expect(matches('{"partition":2,…}', { partition: 1, offset: 0 })).toEqual(["$.partition: expected 2, got 1"]);
    expect(matches('[{"partition":2,…},…]', [{ partition: 2 }, { partition: 0 }])).toEqual([]);
    expect(matches("[1,…]", [])).toEqual(["$: expected at least 1 elements, got 0"]);
    expect(matches("{…}", { a: 1 })).toEqual([]);
    expect(matches("[…]", [])).toEqual([]);
    expect(matches("{…}", [1])).toEqual(["$: expected an object, got [1]"]);
    expect(matches('{"name":"t",…,"config":{"a":1,…}}', { name: "t", id: 1, config: { a: 1, b: 2 } })).toEqual([]);
  });

  it("leave … inside strings alone and accept JavaScript's unquoted keys", () => {
    expect(matches('{"message":"wait…"}', { message: "wait…" })).toEqual([]);
    expect(
      matches('{ topic: "orders", partition: …, offset: 0, … }', { topic: "orders", partition: 1, offset: 0, x: 1 }),
    ).toEqual([]);
    expect(matches('{"a\\"…":true}', { 'a"…': true })).toEqual([]);
  });

  it("tell a value of the wrong type apart from a missing one", () => {
    expect(matches('{"records":[]}', { records: {} })).toEqual(["$.records: expected an array, got {}"]);
    expect(matches("0", "0")).toEqual(['$: expected 0, got "0"']);
  });

  it("refuse text that is not JSON, even with … and unquoted keys", () => {
    expect(() => parseExpectation('{"a": <clicks>}')).toThrow(/is not JSON/);
  });
});

describe("disallowedConsoleLines", () => {
  const scripts = ["start", "bench", "example:ad-clicks"];

  it("accepts the commands a test cannot run, with comments after them", () => {
    const block = [
      "npm install && npm start     # the platform",
      "npm test",
      "# a comment line",
      "",
      "npm run bench -- --quick",
      "npx wrangler secret put TRIBUTARY_TOKENS",
      "npx wrangler deploy -c examples/ad-click-aggregator/wrangler.toml",
      "apt-get install -y chromium",
    ].join("\n");
    expect(disallowedConsoleLines(block, scripts)).toEqual([]);
  });

  it("refuses curl, unknown npm scripts and anything else a test could run", () => {
    const block = ["curl -s localhost:8787/healthz", "npm run nope", "echo hi"].join("\n");
    expect(disallowedConsoleLines(block, scripts)).toEqual([
      "curl -s localhost:8787/healthz",
      "npm run nope",
      "echo hi",
    ]);
  });
});

describe("instrumentShell", () => {
  it("numbers each curl where a command starts and ties each # → line to the curl above it", () => {
    const script = [
      'T="x"',
      "curl -s a \\",
      '  -d \'{"records":[',
      '  {"value":"curl inside a body"}]}\'',
      '# → {"results":…}',
      "R=$(curl -s b | cut -d, -f1)",
      "for i in 1 2; do curl -s c; done",
      '# → {"ok":true}',
      "# curl in a comment is not run",
    ].join("\n");
    const out = instrumentShell(script);
    expect(out.curls).toBe(3);
    expect(out.script).toContain("__doc_curl 1 -s a");
    expect(out.script).toContain("R=$(__doc_curl 2 -s b");
    expect(out.script).toContain("do __doc_curl 3 -s c");
    expect(out.script).toContain('"curl inside a body"');
    expect(out.script).toContain("# curl in a comment");
    expect(out.expectations).toEqual([
      { curl: 1, expected: '{"results":…}', line: 5 },
      { curl: 3, expected: '{"ok":true}', line: 8 },
    ]);
  });

  it("refuses an expectation before any curl", () => {
    expect(() => instrumentShell('echo\n# → {"ok":true}')).toThrow(/line 2: a "# →" line must follow a curl/);
  });
});

describe("instrumentTs", () => {
  it("reports what each console.log with an expectation logs, as JSON after a mark", () => {
    const { code, expectations } = instrumentTs(
      ["const a = 1;", "console.log(a); // → 1", '  console.log("x", a); // → ["x", 1]'].join("\n"),
    );
    expect(expectations).toEqual([
      { id: 1, expected: "1", line: 2 },
      { id: 2, expected: '["x", 1]', line: 3 },
    ]);
    expect(code).toContain("__docExpect(1, a);");
    expect(code).toContain('  __docExpect(2, "x", a);');
    expect(code).toContain("function __docExpect(");
  });

  it("leaves a snippet without expectations as it is", () => {
    expect(instrumentTs("console.log(1);").code).toBe("console.log(1);");
  });

  it("refuses a // → comment that does not end a one-line console.log", () => {
    expect(() => instrumentTs("const x = f(); // → 1")).toThrow(/line 1: a "\/\/ →" comment must end/);
  });

  it("reads back the last value each expectation logged", () => {
    const stdout = `1\n${TS_EXPECT_MARK}1 1\nhello\n${TS_EXPECT_MARK}2 {"a":1}\n${TS_EXPECT_MARK}1 2\n`;
    expect([...reportedValues(stdout)]).toEqual([
      [1, "2"],
      [2, '{"a":1}'],
    ]);
  });
});
