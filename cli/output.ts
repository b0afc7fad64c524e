/**
 * How the command line prints: answers as JSON (`--json`, for scripts) or as tables (cli-table3:
 * boxed on a terminal, aligned plain columns on a pipe), output written with backpressure, and
 * every error as one line, `tributary: <CODE>: <message>`, with the API's error code.
 */
import { once } from "node:events";
import Table from "cli-table3";
import { CommanderError } from "commander";
import { TributaryError } from "../sdk/errors.ts";

/** A mistake in the command line itself (not the API's answer): code USAGE, exit 2. */
export class UsageError extends Error {
  readonly code = "USAGE";
}

/** The one line an error prints as, and the exit code it ends the process with. */
export function describeError(err: unknown): { line: string; exitCode: number } {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();
  if (err instanceof TributaryError) return { line: `tributary: ${err.code}: ${oneLine(err.message)}`, exitCode: 1 };
  if (err instanceof UsageError) return { line: `tributary: USAGE: ${oneLine(err.message)}`, exitCode: 2 };
  if (err instanceof CommanderError) {
    return { line: `tributary: USAGE: ${oneLine(err.message.replace(/^error: /, ""))}`, exitCode: 2 };
  }
  const error = err as { code?: unknown; message?: unknown };
  const code = typeof error?.code === "string" && /^[A-Z][A-Z0-9_]*$/.test(error.code) ? error.code : "ERROR";
  return { line: `tributary: ${code}: ${oneLine(String(error?.message ?? err))}`, exitCode: 1 };
}

/**
 * Writes to stdout and waits while its buffer is full, so that a fast producer of output (a
 * consume of millions of records into a slow pipe) holds only what the pipe has not taken.
 */
export async function writeOut(text: string | Uint8Array): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

/** Prints a value as indented JSON. */
export async function printJson(value: unknown): Promise<void> {
  await writeOut(`${JSON.stringify(value, null, 2)}\n`);
}

/** A cell: a value shown as text (objects as compact JSON, null and undefined as "-"). */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A table as text: boxed when stdout is a terminal, whitespace-aligned columns otherwise. */
export function renderTable(head: string[], rows: unknown[][], tty = Boolean(process.stdout.isTTY)): string {
  const table = tty
    ? new Table({
        head,
        // No rule between rows: one rule under the head, as rpk and kubectl-style tables read.
        chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
        style: { head: ["cyan"], border: [] },
      })
    : new Table({
        head,
        chars: {
          top: "",
          "top-mid": "",
          "top-left": "",
          "top-right": "",
          bottom: "",
          "bottom-mid": "",
          "bottom-left": "",
          "bottom-right": "",
          left: "",
          "left-mid": "",
          mid: "",
          "mid-mid": "",
          right: "",
          "right-mid": "",
          middle: "  ",
        },
        style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
      });
  for (const row of rows) table.push(row.map(cell));
  return tty ? table.toString() : table.toString().replace(/[ \t]+$/gm, "");
}

/** Prints a table (see renderTable). */
export async function printTable(head: string[], rows: unknown[][]): Promise<void> {
  await writeOut(`${renderTable(head, rows)}\n`);
}

/** The `--json` flag of a command that prints an answer. */
export interface JsonFlag {
  json?: boolean;
}

/** Prints `value` as JSON with `--json`, else as the table `toTable` makes of it. */
export async function printAnswer(
  flags: JsonFlag,
  value: unknown,
  toTable: () => { head: string[]; rows: unknown[][] },
): Promise<void> {
  if (flags.json) return printJson(value);
  const { head, rows } = toTable();
  return printTable(head, rows);
}
