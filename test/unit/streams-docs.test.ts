// The stream-processing snippet of docs/streams.md is real code: it is extracted, built and run
// here on records (test/e2e/docs.test.ts also runs it, as written, on Deno).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { MemoryStores, processBatch, type StreamsApp } from "../../sdk/streams/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function loadSnippet(): Promise<{ clicksApp: StreamsApp }> {
  const doc = readFileSync(join(root, "docs/streams.md"), "utf8");
  const section = doc.slice(doc.indexOf("## A first app"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error("docs/streams.md has no ts block under '## A first app'");
  // Beside node_modules, so that zod resolves; the package entry is the repository's sdk.
  const dir = join(root, "node_modules", ".cache", "tributary-docs");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `streams-${process.pid}.ts`);
  writeFileSync(file, code.replace('from "tributary/sdk"', `from ${JSON.stringify(join(root, "sdk/index.ts"))}`));
  return import(pathToFileURL(file).href);
}

describe("the stream-processing snippet of docs/streams.md", () => {
  it("builds an app that counts each click once per minute and emits closed minutes", async () => {
    const { clicksApp } = await loadSnippet();
    const topology = clicksApp.topology();
    expect(topology.stores.filter((s) => !s.internal).map((s) => s.name)).toEqual(["clicks-per-minute"]);
    const click = (clickId: string, timestamp: number) => ({
      key: "ad-42",
      value: { adId: "ad-42", clickId },
      timestamp,
    });
    const result = processBatch(
      topology,
      0,
      "clicks",
      [click("a", 0), click("a", 1), click("b", 59_999), click("c", 60_000 + 10_000 + 60_000)],
      new MemoryStores(),
      -1,
    );
    expect(result.deduped).toBe(1);
    expect(result.outputs).toEqual([
      {
        topic: "clicks-per-minute",
        key: "ad-42",
        value: { key: "ad-42", start: 0, end: 60_000, value: 2 },
        timestamp: 59_999,
      },
    ]);
  });
});
