// Runs the `tributary` command (the package's bin, on Node) as a child process against the
// suite's worker, as a user would: arguments, stdin through a pipe, environment.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { inject } from "vitest";
import { ROOT } from "../helpers/local-worker.mjs";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** What to pipe into stdin (it is closed after); by default stdin is empty. */
  input?: string;
  /** Environment over the connection's (TRIBUTARY_URL and TRIBUTARY_TOKEN of the suite's worker). */
  env?: Record<string, string | undefined>;
  /** Killed after this long (default 60 s), so a hung command fails its test instead of the suite. */
  timeoutMs?: number;
}

/** Runs `tributary <args>` and collects its output. */
export function tributary(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      TRIBUTARY_URL: inject("baseUrl"),
      TRIBUTARY_TOKEN: inject("token"),
      ...options.env,
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, [join(ROOT, "bin/tributary.mjs"), ...args], { cwd: ROOT, env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") });
    });
    child.stdin.on("error", () => {}); // a command that fails early closes its stdin
    child.stdin.end(options.input ?? "");
  });
}

/** A name unique to this run, for topics and groups. */
export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** Asserts a command failed with one line on stderr, and answers that line. */
export function oneLineError(result: CliResult): string {
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  if (result.code === 0 || lines.length !== 1) {
    throw new Error(
      `expected one error line and a non-zero exit, got exit ${result.code} and stderr:\n${result.stderr}`,
    );
  }
  return lines[0]!;
}
