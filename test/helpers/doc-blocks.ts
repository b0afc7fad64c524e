/**
 * The code blocks of the project's markdown, and how the docs test (test/e2e/docs.test.ts) runs
 * them: which fence languages there are, what a `# →` / `// →` comment expects and how an answer
 * is matched against it, the commands a console block may list, and the shell and TypeScript
 * instrumentation that records what each example answered. Pure: no I/O, unit-tested in
 * test/unit/doc-blocks.test.ts.
 */

/** The fence languages the docs may use, and what the test does with each. */
export const FENCE_LANGUAGES = {
  sh: "run with bash -euo pipefail against the test worker; each curl answer must be JSON",
  ts: "run on Deno against the test worker; exit 0, nothing on stderr",
  json: "must parse",
  console: "commands a test cannot run; each line must be one of CONSOLE_COMMANDS",
  text: "pictures and sample output; not run",
} as const;
export type FenceLanguage = keyof typeof FENCE_LANGUAGES;

export interface FencedBlock {
  /** The info string's first word ("" for a bare fence). */
  lang: string;
  code: string;
  /** The 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above the block, without its #s. */
  heading: string;
}

/** The fenced code blocks of a markdown text, in order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split("\n");
  let heading = "";
  let open: { fence: string; lang: string; line: number; indent: number; body: string[] } | undefined;
  lines.forEach((text, i) => {
    if (open) {
      const close = /^(\s*)(`{3,}|~{3,})\s*$/.exec(text);
      if (close && close[2]![0] === open.fence[0] && close[2]!.length >= open.fence.length) {
        blocks.push({ lang: open.lang, code: open.body.join("\n"), line: open.line, heading });
        open = undefined;
      } else {
        open.body.push(text.slice(Math.min(open.indent, text.length - text.trimStart().length)));
      }
      return;
    }
    const start = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
    if (start) {
      open = { fence: start[2]!, lang: start[3]!, line: i + 1, indent: start[1]!.length, body: [] };
      return;
    }
    const h = /^#{1,6}\s+(.*)$/.exec(text);
    if (h) heading = h[1]!.trim();
  });
  if (open) throw new Error(`the fence opened on line ${open.line} is never closed`);
  return blocks;
}

// ---- Expectations: `# → {"results":[{"partition":2,…},…]}` ----

/** What an expectation comment holds, parsed. */
export type Expected =
  | { kind: "any" }
  | { kind: "value"; value: string | number | boolean | null }
  | { kind: "array"; items: Expected[]; more: boolean }
  | { kind: "object"; entries: [string, Expected][]; more: boolean };

const ANY = "\u0000…any";
const MORE_KEY = "\u0000…more";

/**
 * Parses the JSON of an expectation comment, where `…` stands for any value; in an object, where
 * a key would be, for "and more keys"; and as the last element of an array for "and more
 * elements". Without it an object must have exactly the keys given and an array exactly the
 * elements given. Keys may be unquoted identifiers, as in
 * JavaScript (`{ topic: "orders", partition: … }`).
 */
export function parseExpectation(text: string): Expected {
  let json = "";
  // What each open bracket is, and whether the next token of an object is a key.
  const stack: ("{" | "[")[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      const end = endOfString(text, i);
      json += text.slice(i, end + 1);
      i = end;
      if (stack.at(-1) === "{" && expectKey) expectKey = false;
      continue;
    }
    if (ch === "…") {
      json += stack.at(-1) === "{" && expectKey ? `${JSON.stringify(MORE_KEY)}:0` : JSON.stringify(ANY);
      expectKey = false;
      continue;
    }
    if (stack.at(-1) === "{" && expectKey && /[A-Za-z_$]/.test(ch)) {
      const id = /^[A-Za-z_$][\w$]*/.exec(text.slice(i))![0];
      json += JSON.stringify(id);
      i += id.length - 1;
      expectKey = false;
      continue;
    }
    if (ch === "{" || ch === "[") {
      stack.push(ch);
      expectKey = ch === "{";
    } else if (ch === "}" || ch === "]") {
      stack.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = stack.at(-1) === "{";
    }
    json += ch;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(
      `the expectation ${JSON.stringify(text)} is not JSON (with … for "any"): ${(err as Error).message}`,
    );
  }
  return toExpected(raw);
}

function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  throw new Error(`unterminated string in the expectation ${JSON.stringify(text)}`);
}

function toExpected(raw: unknown): Expected {
  if (raw === ANY) return { kind: "any" };
  if (Array.isArray(raw)) {
    const more = raw.length > 0 && raw.at(-1) === ANY;
    const items = (more ? raw.slice(0, -1) : raw).map(toExpected);
    return { kind: "array", items, more };
  }
  if (raw !== null && typeof raw === "object") {
    const all = Object.entries(raw);
    const entries = all.filter(([k]) => k !== MORE_KEY).map(([k, v]): [string, Expected] => [k, toExpected(v)]);
    return { kind: "object", entries, more: entries.length < all.length };
  }
  return { kind: "value", value: raw as string | number | boolean | null };
}

/** The differences between what was expected and what came, one line each; empty when it matches. */
export function mismatches(expected: Expected, actual: unknown, path = "$"): string[] {
  switch (expected.kind) {
    case "any":
      return [];
    case "value":
      return Object.is(expected.value, actual)
        ? []
        : [`${path}: expected ${JSON.stringify(expected.value)}, got ${JSON.stringify(actual)}`];
    case "array": {
      if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
      const out: string[] = [];
      if (expected.more ? actual.length < expected.items.length : actual.length !== expected.items.length) {
        out.push(
          `${path}: expected ${expected.more ? "at least " : ""}${expected.items.length} elements, got ${actual.length}`,
        );
      }
      expected.items.forEach((item, i) => {
        if (i < actual.length) out.push(...mismatches(item, actual[i], `${path}[${i}]`));
      });
      return out;
    }
    case "object": {
      if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
        return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
      }
      const out: string[] = [];
      const record = actual as Record<string, unknown>;
      for (const [key, item] of expected.entries) {
        if (!Object.hasOwn(record, key)) out.push(`${path}.${key}: missing`);
        else out.push(...mismatches(item, record[key], `${path}.${key}`));
      }
      if (!expected.more) {
        const known = new Set(expected.entries.map(([k]) => k));
        const extra = Object.keys(record).filter((k) => !known.has(k));
        if (extra.length > 0)
          out.push(`${path}: unexpected keys ${extra.join(", ")} (end the object with … to allow more)`);
      }
      return out;
    }
  }
}

// ---- Console blocks: commands a test cannot run ----

/**
 * What a console block may list: commands that start servers, deploy, take minutes or install
 * system packages. A curl or a script of the API never matches, so the escape hatch cannot hide
 * an example that should be run.
 */
export const CONSOLE_COMMANDS: readonly RegExp[] = [
  /^npm (install|ci)( && npm (start|test))?$/,
  /^npm (start|test)$/,
  /^npm run [a-z][a-z0-9:-]*( -- .*)?$/,
  /^npx wrangler (login|deploy|types|tail)( .*)?$/,
  /^npx wrangler r2 bucket create [a-z0-9-]+$/,
  /^npx wrangler secret put [A-Z_]+( .*)?$/,
  /^npx vitest run .*$/,
  /^node (bench|examples)\/[\w/.-]+\.mjs( .*)?$/,
  /^node_modules\/\.bin\/deno run .*examples\/[\w/.-]+\.ts$/,
  /^\.ci\/run$/,
  /^(sudo )?apt-get (update|install .*)$/,
  /^open https?:\/\/\S+$/,
];

/** The lines of a console block that are not an allowed command (comments and blank lines are fine). */
export function disallowedConsoleLines(code: string, scripts: readonly string[]): string[] {
  return code
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .filter((line) => {
      if (!CONSOLE_COMMANDS.some((re) => re.test(line))) return true;
      const script = /^npm run ([^\s]+)/.exec(line)?.[1];
      return script !== undefined && !scripts.includes(script);
    });
}

// ---- Shell blocks ----

export interface ShellExpectation {
  /** The curl (its number in the script, from 1) whose last answer this is checked against. */
  curl: number;
  expected: string;
  /** The line in the script. */
  line: number;
}

export interface InstrumentedShell {
  /** The script, each curl replaced by `__doc_curl <number>`, which records its answer. */
  script: string;
  /** How many curls the script has. */
  curls: number;
  expectations: ShellExpectation[];
}

/** A curl where a command starts: line start, after `;`, `&`, `|`, `(` (also `$(`), `do`, `then`. */
const CURL_COMMAND = /(^|[;&|(]|\b(?:do|then|else)\s)(\s*)curl(?=\s)/g;

/**
 * Numbers the curls of a shell script and collects its `# → <expected answer>` lines, each of
 * which belongs to the curl written last before it. A `# →` line before any curl is an error.
 */
export function instrumentShell(script: string): InstrumentedShell {
  let curls = 0;
  const expectations: ShellExpectation[] = [];
  const lines = script.split("\n").map((line, i) => {
    const expectation = /^\s*# → (.*)$/.exec(line);
    if (expectation) {
      if (curls === 0) throw new Error(`line ${i + 1}: a "# →" line must follow a curl`);
      expectations.push({ curl: curls, expected: expectation[1]!.trim(), line: i + 1 });
      return line;
    }
    if (/^\s*#/.test(line)) return line;
    return line.replace(CURL_COMMAND, (_m, before: string, space: string) => `${before}${space}__doc_curl ${++curls}`);
  });
  return { script: lines.join("\n"), curls, expectations };
}

/**
 * The bash functions an instrumented script runs with: `__doc_curl <n> args…` runs curl, keeps
 * its answer in `$__DOC_DIR/answer-<run>-<n>` and prints it; `__doc_block <n>` notes which block
 * is running, for the error message.
 */
export const SHELL_PRELUDE = `
__doc_curl() {
  local id=$1; shift
  local run; run=$(( $(cat "$__DOC_DIR/runs") + 1 )); echo "$run" > "$__DOC_DIR/runs"
  local out
  out=$(command curl "$@") || { local rc=$?; echo "curl #$id exited with $rc" >&2; return "$rc"; }
  printf '%s' "$out" > "$__DOC_DIR/answer-$run-$id"
  printf '%s\\n' "$out"
}
__doc_block() { echo "$1" > "$__DOC_DIR/block"; }
echo 0 > "$__DOC_DIR/runs"
`;

// ---- TypeScript blocks ----

export interface TsExpectation {
  id: number;
  expected: string;
  line: number;
}

/** What marks an expectation's value in a snippet's output. */
export const TS_EXPECT_MARK = "@@doc-expect@@";

/**
 * Makes a snippet report what its `console.log(x); // → <expected>` lines log: each such line
 * calls `__docExpect(id, x)`, which logs as before and then prints the value as JSON after
 * TS_EXPECT_MARK. With several arguments the expectation describes the array of them. A `// →`
 * comment anywhere else is an error.
 */
export function instrumentTs(code: string): { code: string; expectations: TsExpectation[] } {
  const expectations: TsExpectation[] = [];
  const lines = code.split("\n").map((line, i) => {
    if (!line.includes("// →")) return line;
    const m = /^(\s*)console\.log\((.*)\);\s*\/\/ → (.*)$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: a "// →" comment must end a one-line console.log(…); statement`);
    const id = expectations.length + 1;
    expectations.push({ id, expected: m[3]!.trim(), line: i + 1 });
    return `${m[1]}__docExpect(${id}, ${m[2]});`;
  });
  const helper = [
    "",
    "function __docExpect(id: number, ...values: unknown[]): void {",
    "  console.log(...values);",
    `  console.log(${JSON.stringify(TS_EXPECT_MARK)} + id + " " + JSON.stringify(values.length === 1 ? values[0] : values));`,
    "}",
  ];
  return { code: [...lines, ...(expectations.length > 0 ? helper : [])].join("\n"), expectations };
}

/** The values a run reported, by expectation id (the last one, when a line ran more than once). */
export function reportedValues(stdout: string): Map<number, string> {
  const values = new Map<number, string>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith(TS_EXPECT_MARK)) continue;
    const rest = line.slice(TS_EXPECT_MARK.length);
    const space = rest.indexOf(" ");
    values.set(Number(rest.slice(0, space)), rest.slice(space + 1));
  }
  return values;
}
