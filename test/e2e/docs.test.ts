// Runs every code example of the README, docs/, bench/ and the examples' READMEs against the
// suite's running workers, so that the docs keep working. By fence language:
//   sh       one bash -euo pipefail session per file, its blocks in order; every curl answer must be
//            JSON, and a `# → <json>` line checks the answer of the curl above it (… = any value,
//            or, last in an object or array, "and more"); every curl must run
//   ts       each block on Deno (`tributary/sdk` is the repository's sdk/index.ts); exit 0, nothing
//            on stderr, and `console.log(x); // → <json>` checks what x was
//   json     must parse
//   console  commands a test cannot run (start a server, deploy, minutes of benchmark): each line
//            must be one of CONSOLE_COMMANDS
//   text     pictures and sample output
// Any other fence fails. Port 8787 is the platform worker, 8788 the ad-click example's, 8789 the
// Yahoo Streaming Benchmark example's, 9092 the Kafka gateway, and dev-token the token, as
// `npm start`, `npm run example:ad-clicks` and `npm run example:ysb` serve them.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import {
  disallowedConsoleLines,
  FENCE_LANGUAGES,
  type FencedBlock,
  fencedBlocks,
  instrumentShell,
  instrumentTs,
  mismatches,
  parseExpectation,
  reportedValues,
  SHELL_PRELUDE,
} from "../helpers/doc-blocks.ts";
import { ROOT } from "../helpers/local-worker.mjs";
import { runDeno } from "./deno/run-deno.mjs";

const markdownFiles = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  "bench/README.md",
  ...readdirSync(join(ROOT, "examples"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `examples/${d.name}/README.md`),
].sort();

const scripts = Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts);

/** The example's text as it runs here: the test workers' addresses and token. */
function forTestWorkers(code: string): string {
  const host = (url: string) => new URL(url).host;
  return code
    .replace(/(localhost|127\.0\.0\.1):8787/g, host(inject("baseUrl")))
    .replace(/(localhost|127\.0\.0\.1):8788/g, host(inject("adClicksUrl")))
    .replace(/(localhost|127\.0\.0\.1):8789/g, host(inject("ysbUrl")))
    .replace(/(localhost|127\.0\.0\.1):9092/g, inject("kafkaBroker"))
    .replaceAll("dev-token", inject("token"));
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** How an answer differs from an expectation comment (a comment that does not parse is a difference too). */
function check(expected: string, actual: unknown): string[] {
  try {
    return mismatches(parseExpectation(expected), actual);
  } catch (err) {
    return [(err as Error).message];
  }
}

/** Runs a file's sh blocks as one session; answers the problems found, one line each. */
async function runShellSession(file: string, blocks: FencedBlock[]): Promise<string[]> {
  // The session's lines, and the markdown line each comes from.
  const lines: string[] = [];
  const sourceLines: number[] = [];
  blocks.forEach((block, b) => {
    lines.push(`__doc_block ${b}`);
    sourceLines.push(block.line);
    forTestWorkers(block.code)
      .split("\n")
      .forEach((line, j) => {
        lines.push(line);
        sourceLines.push(block.line + 1 + j);
      });
  });
  const session = instrumentShell(lines.join("\n"));
  const at = (scriptLine: number) => `${file}:${sourceLines[scriptLine - 1]}`;
  const dir = mkdtempSync(join(tmpdir(), "tributary-docs-"));
  try {
    const result = await run("bash", ["-euo", "pipefail", "-c", SHELL_PRELUDE + session.script], { __DOC_DIR: dir });
    if (result.code !== 0) {
      const block = blocks[Number(readFileSync(join(dir, "block"), "utf8"))]!;
      return [
        `the sh block at ${file}:${block.line} failed (exit ${result.code}): ${result.stderr.trim()}\n--- its output:\n${result.stdout.slice(-2000)}`,
      ];
    }
    // The answers of each curl, in the order they ran.
    const answers = new Map<number, string[]>();
    const runs = readdirSync(dir)
      .filter((f) => f.startsWith("answer-"))
      .map((f) => f.split("-").map(Number) as [number, number, number])
      .sort((a, b) => a[1] - b[1]);
    for (const [, runNo, id] of runs) {
      answers.set(id, [...(answers.get(id) ?? []), readFileSync(join(dir, `answer-${runNo}-${id}`), "utf8")]);
    }
    const problems: string[] = [];
    const curlLines = session.script
      .split("\n")
      .flatMap((line, i) => [...line.matchAll(/__doc_curl (\d+)/g)].map((m) => [Number(m[1]), i + 1] as const));
    for (const [id, line] of curlLines) {
      const given = answers.get(id);
      if (!given) {
        problems.push(`the curl at ${at(line)} never ran`);
        continue;
      }
      for (const text of given) {
        try {
          JSON.parse(text);
        } catch {
          problems.push(`the curl at ${at(line)} answered something that is not JSON: ${text.slice(0, 300)}`);
        }
      }
    }
    for (const e of session.expectations) {
      const answer = answers.get(e.curl)?.at(-1);
      if (answer === undefined) continue;
      let actual: unknown;
      try {
        actual = JSON.parse(answer);
      } catch {
        continue; // reported above
      }
      const diff = check(e.expected, actual);
      if (diff.length > 0) problems.push(`${at(e.line)}: the answer ${answer} does not match: ${diff.join("; ")}`);
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one ts block on Deno; answers the problems found. */
async function runTsBlock(file: string, block: FencedBlock): Promise<string[]> {
  const where = `the ts block at ${file}:${block.line}`;
  if (block.code.includes("tributary/worker")) {
    return [
      `${where} is worker-side code, which Deno cannot run: link to a tested file (examples/ad-click-aggregator) instead`,
    ];
  }
  const sdk = JSON.stringify(join(ROOT, "sdk/index.ts"));
  const { code, expectations } = instrumentTs(
    forTestWorkers(block.code).replaceAll('from "tributary/sdk"', `from ${sdk}`),
  );
  // Inside the project, so that Deno resolves zod and the other packages from node_modules.
  const dir = mkdtempSync(join(ROOT, "test/e2e/deno/.docs-"));
  const snippet = join(dir, "snippet.ts");
  writeFileSync(snippet, code);
  try {
    const result = await runDeno(["run", "--no-lock", "--allow-net", "--allow-read", "--allow-env", snippet], {});
    const problems: string[] = [];
    if (result.code !== 0 || result.stderr !== "") {
      problems.push(
        `${where} exited with ${result.code}, stderr: ${result.stderr.trim()}\n--- stdout:\n${result.stdout}`,
      );
    }
    const values = reportedValues(result.stdout);
    for (const e of expectations) {
      const line = `${file}:${block.line + e.line}`;
      const value = values.get(e.id);
      if (value === undefined) {
        problems.push(`${line}: the console.log with an expectation never ran`);
        continue;
      }
      const diff = check(e.expected, JSON.parse(value));
      if (diff.length > 0) problems.push(`${line}: logged ${value}, which does not match: ${diff.join("; ")}`);
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const file of markdownFiles) {
  const blocks = fencedBlocks(readFileSync(join(ROOT, file), "utf8"));
  const of = (lang: string) => blocks.filter((b) => b.lang === lang);

  describe(file, () => {
    it("uses only the fence languages the docs test knows (sh, ts, json, console, text)", () => {
      const unknown = blocks
        .filter((b) => !Object.hasOwn(FENCE_LANGUAGES, b.lang))
        .map((b) => `${file}:${b.line}: \`\`\`${b.lang || "(no language)"}`);
      expect(unknown).toEqual([]);
    });

    if (of("json").length > 0) {
      it("has json blocks that parse", () => {
        const bad = of("json").flatMap((b) => {
          try {
            JSON.parse(b.code);
            return [];
          } catch (err) {
            return [`${file}:${b.line}: ${(err as Error).message}`];
          }
        });
        expect(bad).toEqual([]);
      });
    }

    if (of("console").length > 0) {
      it("lists in console blocks only commands a test cannot run", () => {
        const bad = of("console").flatMap((b) =>
          disallowedConsoleLines(b.code, scripts).map((line) => `${file}:${b.line}: ${line}`),
        );
        expect(bad).toEqual([]);
      });
    }

    if (of("sh").length > 0) {
      it(`runs its ${of("sh").length} sh block(s) against the test workers, with the answers stated`, async () => {
        expect(await runShellSession(file, of("sh"))).toEqual([]);
      }, 150_000);
    }

    for (const block of of("ts")) {
      it(`runs the ts block at line ${block.line} (${block.heading}) on Deno`, async () => {
        expect(await runTsBlock(file, block)).toEqual([]);
      }, 120_000);
    }
  });
}

it("covers every markdown file of the repository that has code blocks", () => {
  const tracked = execFileSync("git", ["ls-files", "*.md"], { cwd: ROOT, encoding: "utf8" }).trim().split("\n");
  const withCode = tracked.filter((f) => fencedBlocks(readFileSync(join(ROOT, f), "utf8")).length > 0);
  expect(withCode.filter((f) => !markdownFiles.includes(f))).toEqual([]);
});
