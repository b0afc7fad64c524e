// Runs the README's curl session and SDK snippet, as written, against the running local
// worker: the quick start must keep working.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runDeno } from "./deno/run-deno.mjs";

function curlSession(): string {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### A curl session"));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("the README has no sh block under 'A curl session'");
  return match[1]!;
}

describe("the README's curl session", () => {
  it("runs as written, and every answer is JSON; only the deliberate error is an error", () => {
    const base = inject("baseUrl");
    const script = curlSession()
      .replaceAll("localhost:8787", base.replace("http://", ""))
      // One answer per line, so that each can be parsed.
      .replaceAll("curl -s ", "curl -s -w '\\n' ");
    const topicName = `clicks-${Date.now().toString(36)}`;
    const out = execFileSync("bash", ["-euo", "pipefail", "-c", script.replaceAll("clicks", topicName)], {
      encoding: "utf8",
      timeout: 30_000,
    });
    const answers = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const curls = script.match(/^\s*curl /gm)?.length ?? 0;
    expect(answers).toHaveLength(curls);
    const errors = answers.filter((a) => a.error);
    expect(errors).toHaveLength(1);
    expect(errors[0].error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(answers.at(-1)).toEqual(errors[0]);
    const produced = answers.find((a) => a.results);
    expect(produced.results.map((r: { partition: number }) => r.partition).slice(0, 2)).toEqual([2, 1]);
    const fetched = answers.find((a) => a.records);
    expect(fetched.records[0]).toMatchObject({
      key: "ad-42",
      value: { adId: "ad-42", user: "u1" },
      headers: { source: "edge" },
    });
    expect(answers.find((a) => a.deleted)).toEqual({ deleted: topicName });
  });
});

describe("the README's SDK snippet", () => {
  it("runs as written on Deno against the local worker", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### The SDK"));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, "a ts block under 'The SDK'").toBeTruthy();
    const topic = `orders-${Date.now().toString(36)}`;
    const script = code!
      .replace(
        'from "tributary/sdk"',
        `from ${JSON.stringify(new URL("../../sdk/index.ts", import.meta.url).pathname)}`,
      )
      .replace('"http://127.0.0.1:8787"', JSON.stringify(inject("baseUrl")))
      .replaceAll('"orders"', JSON.stringify(topic));
    // Inside the project, so that Deno resolves zod from its package.json and node_modules.
    const dir = mkdtempSync(new URL("./deno/.readme-", import.meta.url).pathname);
    const file = join(dir, "snippet.ts");
    writeFileSync(file, script);
    try {
      const run = await runDeno(["run", "--no-lock", "--allow-net", "--allow-read", file], {});
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const lines = run.stdout.trim().split("\n");
      expect(run.stdout).toContain(`topic: "${topic}"`);
      expect(lines.slice(-2).map((l) => l.split(" ")[0])).toEqual(["0", "1"]);
      expect(lines.at(-2)).toContain("customer-1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
