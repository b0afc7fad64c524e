/**
 * Decoding requests and encoding responses by Kafka's message definitions (schema.ts): the
 * interpreter that Kafka's own generated codecs amount to. Values are plain objects whose keys
 * are the definitions' field names in camelCase (`TopicData` → `topicData`); int64 fields are
 * bigints; `records` are raw bytes (record batches, see records.ts). The primitives (varints,
 * compact strings, UUIDs) are @platformatic/kafka's Reader and Writer.
 *
 * Every length and count read from the wire is checked against the bytes that are left before
 * anything is allocated, so a garbage frame fails fast instead of asking for gigabytes.
 */
import { Reader, Writer } from "@platformatic/kafka";
import { type FieldSpec, inRange, type MessageSpec } from "./schema.ts";

export type Value = unknown;
export type Struct = Record<string, Value>;

/** A frame that does not decode by its definition: the connection that sent it is closed. */
export class MalformedRequest extends Error {
  override name = "MalformedRequest";
}

const camel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

const PRIMITIVES = new Set([
  "bool",
  "int8",
  "int16",
  "uint16",
  "int32",
  "int64",
  "float64",
  "string",
  "bytes",
  "uuid",
  "records",
]);

function isFlexible(field: FieldSpec, version: number, flexible: boolean): boolean {
  return field.flexibleVersions ? inRange(field.flexibleVersions, version) : flexible;
}

function need(reader: Reader, bytes: number, what: string): void {
  if (bytes < 0 || bytes > reader.remaining) {
    throw new MalformedRequest(`${what} says ${bytes} bytes, but only ${reader.remaining} are left in the frame`);
  }
}

// ---- decoding ----

function readLength(reader: Reader, compact: boolean, int32: boolean, what: string): number | null {
  const n = compact ? reader.readUnsignedVarInt() - 1 : int32 ? reader.readInt32() : reader.readInt16();
  if (n < 0) return null;
  need(reader, n, what);
  return n;
}

function readPrimitive(type: string, reader: Reader, compact: boolean, name: string): Value {
  switch (type) {
    case "bool":
      need(reader, 1, name);
      return reader.readBoolean();
    case "int8":
      need(reader, 1, name);
      return reader.readInt8();
    case "int16":
      need(reader, 2, name);
      return reader.readInt16();
    case "uint16":
      need(reader, 2, name);
      return reader.readUnsignedInt16();
    case "int32":
      need(reader, 4, name);
      return reader.readInt32();
    case "int64":
      need(reader, 8, name);
      return reader.readInt64();
    case "float64":
      need(reader, 8, name);
      return reader.readFloat64();
    case "uuid":
      need(reader, 16, name);
      return reader.readUUID();
    case "string": {
      const n = readLength(reader, compact, false, name);
      if (n === null) return null;
      const text = reader.buffer.slice(reader.position, reader.position + n).toString("utf8");
      reader.skip(n);
      return text;
    }
    case "bytes":
    case "records": {
      const n = readLength(reader, compact, true, name);
      if (n === null) return null;
      const bytes = reader.buffer.slice(reader.position, reader.position + n);
      reader.skip(n);
      return bytes;
    }
    default:
      throw new Error(`unknown primitive type '${type}'`);
  }
}

function readValue(
  field: FieldSpec,
  type: string,
  reader: Reader,
  version: number,
  flexible: boolean,
  element = false,
): Value {
  const compact = isFlexible(field, version, flexible);
  if (type.startsWith("[]")) {
    const n = compact ? reader.readUnsignedVarInt() - 1 : reader.readInt32();
    if (n < 0) return null;
    // Every element takes at least one byte: a count beyond the frame is garbage.
    need(reader, n, `${field.name} (a count of ${n})`);
    const itemType = type.slice(2);
    const out: Value[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = readValue(field, itemType, reader, version, flexible, true);
    return out;
  }
  if (PRIMITIVES.has(type)) return readPrimitive(type, reader, compact, field.name);
  if (!field.fields) throw new Error(`${field.name}: struct type ${type} has no fields`);
  // A nullable struct has a marker byte; the nullability of an array is the array's, not its elements'.
  if (!element && inRange(field.nullableVersions, version) && reader.readInt8() < 0) return null;
  return readStruct(field.fields, reader, version, flexible);
}

function readStruct(fields: readonly FieldSpec[], reader: Reader, version: number, flexible: boolean): Struct {
  const out: Struct = {};
  for (const field of fields) {
    if (!inRange(field.versions, version)) continue;
    if (flexible && inRange(field.taggedVersions, version)) continue;
    out[camel(field.name)] = readValue(field, field.type, reader, version, flexible);
  }
  if (flexible) {
    const count = reader.readUnsignedVarInt();
    need(reader, count, "tagged fields");
    for (let i = 0; i < count; i++) {
      const tag = reader.readUnsignedVarInt();
      const size = reader.readUnsignedVarInt();
      need(reader, size, `tagged field ${tag}`);
      const field = fields.find((f) => f.tag === tag && inRange(f.taggedVersions, version));
      if (field) {
        const sub = Reader.from(reader.buffer.slice(reader.position, reader.position + size));
        out[camel(field.name)] = readValue(field, field.type, sub, version, flexible);
      }
      reader.skip(size);
    }
  }
  return out;
}

/** Decodes a message body of `version` (after its header). */
export function decode(spec: MessageSpec, version: number, reader: Reader): Struct {
  const flexible = inRange(spec.flexibleVersions, version);
  try {
    return readStruct(spec.fields, reader, version, flexible);
  } catch (err) {
    if (err instanceof MalformedRequest) throw err;
    throw new MalformedRequest(`${spec.name} v${version} does not decode: ${(err as Error).message}`);
  }
}

// ---- encoding ----

function defaultOf(field: FieldSpec, type: string, version: number): Value {
  if (type.startsWith("[]")) return [];
  const d = field.default;
  if (d === "null" && inRange(field.nullableVersions, version)) return null;
  switch (type) {
    case "bool":
      return d === "true";
    case "int64":
      return BigInt(d ?? 0);
    case "int8":
    case "int16":
    case "uint16":
    case "int32":
    case "float64":
      return Number(d ?? 0);
    case "string":
      return d ?? "";
    case "uuid":
      return null;
    case "bytes":
    case "records":
      return inRange(field.nullableVersions, version) ? null : Buffer.alloc(0);
    default:
      return {};
  }
}

function writePrimitive(type: string, w: Writer, value: Value, compact: boolean): void {
  switch (type) {
    case "bool":
      w.appendBoolean(Boolean(value));
      return;
    case "int8":
      w.appendInt8(Number(value));
      return;
    case "int16":
      w.appendInt16(Number(value));
      return;
    case "uint16":
      w.appendUnsignedInt16(Number(value));
      return;
    case "int32":
      w.appendInt32(Number(value));
      return;
    case "int64":
      w.appendInt64(typeof value === "bigint" ? value : BigInt(Number(value)));
      return;
    case "float64":
      w.appendFloat64(Number(value));
      return;
    case "uuid":
      w.appendUUID((value as string | null) ?? null);
      return;
    case "string":
      w.appendString((value as string | null) ?? null, compact);
      return;
    case "bytes":
    case "records":
      w.appendBytes((value as Buffer | null) ?? null, compact);
      return;
    default:
      throw new Error(`unknown primitive type '${type}'`);
  }
}

function writeValue(
  field: FieldSpec,
  type: string,
  w: Writer,
  value: Value,
  version: number,
  flexible: boolean,
  element = false,
): void {
  const compact = isFlexible(field, version, flexible);
  if (value === undefined) value = defaultOf(field, type, version);
  if (type.startsWith("[]")) {
    const items = value as Value[] | null;
    if (items === null) {
      if (compact) w.appendUnsignedVarInt(0);
      else w.appendInt32(-1);
      return;
    }
    if (compact) w.appendUnsignedVarInt(items.length + 1);
    else w.appendInt32(items.length);
    const itemType = type.slice(2);
    for (const item of items) writeValue(field, itemType, w, item, version, flexible, true);
    return;
  }
  if (PRIMITIVES.has(type)) {
    writePrimitive(type, w, value, compact);
    return;
  }
  if (!element && inRange(field.nullableVersions, version)) {
    if (value === null) {
      w.appendInt8(-1);
      return;
    }
    w.appendInt8(1);
  }
  writeStruct(field.fields ?? [], w, (value ?? {}) as Struct, version, flexible);
}

function writeStruct(fields: readonly FieldSpec[], w: Writer, value: Struct, version: number, flexible: boolean): void {
  const tagged: [number, Writer][] = [];
  for (const field of fields) {
    if (!inRange(field.versions, version)) continue;
    const v = value[camel(field.name)];
    if (flexible && inRange(field.taggedVersions, version)) {
      // Tagged fields are written only when given: absent means "the default" to the reader.
      if (v === undefined) continue;
      const sub = Writer.create();
      writeValue(field, field.type, sub, v, version, flexible);
      tagged.push([field.tag!, sub]);
      continue;
    }
    writeValue(field, field.type, w, v, version, flexible);
  }
  if (flexible) {
    w.appendUnsignedVarInt(tagged.length);
    for (const [tag, sub] of tagged.sort((a, b) => a[0] - b[0])) {
      w.appendUnsignedVarInt(tag);
      w.appendUnsignedVarInt(sub.length);
      w.appendFrom(sub);
    }
  }
}

/** Encodes a message body of `version`. Fields left out take their definition's default. */
export function encode(spec: MessageSpec, version: number, value: Struct, w: Writer = Writer.create()): Writer {
  writeStruct(spec.fields, w, value, version, inRange(spec.flexibleVersions, version));
  return w;
}
