/**
 * How `tributary produce` turns lines into messages, as kcat does: `-K <sep>` splits each line at
 * the first separator into key and value (a line without it has no key), `-H key=value` adds
 * headers, and values are the line's text, or with `--json` the JSON it parses to. Pure.
 */
import type { Message } from "../sdk/index.ts";
import { UsageError } from "./output.ts";

/** What every line's message gets. */
export interface LineOptions {
  keySeparator?: string;
  json?: boolean;
  headers?: Record<string, string>;
  partition?: number;
}

/** Splits a line at the first `separator`: the key before it, the value after; no separator, no key. */
export function splitKey(line: string, separator: string): { key: string | null; value: string } {
  const at = line.indexOf(separator);
  if (at < 0) return { key: null, value: line };
  return { key: line.slice(0, at), value: line.slice(at + separator.length) };
}

/** Parses a `-H key=value` header; the value may hold `=`. */
export function parseHeader(text: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) throw new UsageError(`-H ${text}: write a header as key=value (as -H source=cli)`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** The message of one line (`lineNumber` from 1, for the error); throws a UsageError for a value that is not JSON with `--json`. */
export function lineToMessage(line: string, options: LineOptions, lineNumber: number): Message {
  const { key, value } =
    options.keySeparator !== undefined ? splitKey(line, options.keySeparator) : { key: null, value: line };
  let parsed: unknown = value;
  if (options.json) {
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new UsageError(
        `line ${lineNumber}: the value is not JSON (${(err as Error).message}); the lines before it were sent. Leave out --json to send lines as text`,
      );
    }
  }
  return {
    ...(key !== null ? { key } : {}),
    value: parsed,
    ...(options.headers && Object.keys(options.headers).length > 0 ? { headers: options.headers } : {}),
    ...(options.partition !== undefined ? { partition: options.partition } : {}),
  };
}
