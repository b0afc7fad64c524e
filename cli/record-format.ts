/**
 * How `tributary consume` prints a record: kcat's `-f` format strings (`%t` topic, `%p`
 * partition, `%o` offset, `%k` key, `%s` value, `%T` timestamp, `%h` headers, `%K` and `%S` the
 * key's and value's length in bytes, -1 when null; `\n`, `\t`, `\r`, `\\` and `%%`), or one JSON
 * object per line. Pure.
 */
import type { ReaderRecord } from "../sdk/index.ts";
import { UsageError } from "./output.ts";

/** A record as it is printed: the reader's record. */
export type PrintedRecord = ReaderRecord;

/** A key or value as text: strings as they are, bytes decoded as UTF-8, other JSON values as compact JSON; null as null. */
export function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8");
  return JSON.stringify(value);
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

const byteLength = (text: string | null) => (text === null ? -1 : Buffer.byteLength(text));

type Piece = string | ((r: PrintedRecord, key: string | null, value: string | null) => string);

const FIELDS: Record<string, Piece> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (_r, key) => key ?? "",
  s: (_r, _k, value) => value ?? "",
  T: (r) => String(r.timestamp),
  h: (r) =>
    Object.entries(r.headers)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  K: (_r, key) => String(byteLength(key)),
  S: (_r, _k, value) => String(byteLength(value)),
};

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "0": "\0" };

/** Compiles a `-f` format; throws a UsageError naming an unknown `%x` or `\x`. */
export function compileFormat(format: string): (record: PrintedRecord) => string {
  const pieces: Piece[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    const next = format[i + 1];
    if (ch === "%" || ch === "\\") {
      if (next === undefined) throw new UsageError(`-f ${JSON.stringify(format)}: ends with a lone ${ch}`);
      if (ch === "%" && next === "%") literal += "%";
      else if (ch === "%") {
        const field = FIELDS[next];
        if (!field) {
          throw new UsageError(
            `-f: %${next} is not a field; the fields are %t topic, %p partition, %o offset, %k key, %s value, %T timestamp, %h headers, %K key length, %S value length`,
          );
        }
        if (literal) pieces.push(literal);
        literal = "";
        pieces.push(field);
      } else {
        const escaped = ESCAPES[next];
        if (escaped === undefined)
          throw new UsageError(`-f: \\${next} is not an escape; use \\n, \\t, \\r, \\0 or \\\\`);
        literal += escaped;
      }
      i++;
    } else {
      literal += ch;
    }
  }
  if (literal) pieces.push(literal);
  return (record) => {
    const key = asText(record.key);
    const value = asText(record.value);
    let out = "";
    for (const piece of pieces) out += typeof piece === "string" ? piece : piece(record, key, value);
    return out;
  };
}

/** A record as one line of JSON: bytes as `keyBase64` / `valueBase64`, as the API writes them. */
export function jsonLine(r: PrintedRecord): string {
  const key = r.key instanceof Uint8Array ? { keyBase64: base64(r.key) } : { key: r.key };
  const value = r.value instanceof Uint8Array ? { valueBase64: base64(r.value) } : { value: r.value };
  return `${JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, ...key, ...value, headers: r.headers })}\n`;
}
