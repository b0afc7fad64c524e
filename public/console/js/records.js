// A fetched record's key, value and headers as the message browser shows them: JSON, text or
// hex. A record carries `value` (any JSON) or `valueBase64` (binary), `key` or `keyBase64`.
const decoder = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();

function base64Bytes(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The record's value as bytes (a JSON value: its UTF-8 JSON text, a string: its UTF-8). */
function valueBytes(record) {
  if (typeof record.valueBase64 === "string") return base64Bytes(record.valueBase64);
  if (typeof record.value === "string") return encoder.encode(record.value);
  return encoder.encode(JSON.stringify(record.value ?? null));
}

/** The record's key as text ("" for none). */
export function keyText(record) {
  if (typeof record.keyBase64 === "string") return decoder.decode(base64Bytes(record.keyBase64));
  return typeof record.key === "string" ? record.key : "";
}

const strict = new TextDecoder("utf-8", { fatal: true });

/** Binary data as text if it is UTF-8 without control characters (but tabs and newlines), else undefined. */
function asText(bytes) {
  try {
    const text = strict.decode(bytes);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

/** The value as text: a string as it is, other JSON as JSON, binary decoded as UTF-8. */
export function valueText(record) {
  if (typeof record.valueBase64 === "string") return decoder.decode(base64Bytes(record.valueBase64));
  if (typeof record.value === "string") return record.value;
  return JSON.stringify(record.value ?? null);
}

/** The value in `format`: "json" (pretty, falling back to text), "text" or "hex". */
export function formatValue(record, format) {
  if (format === "hex") return hex(valueBytes(record));
  if (format === "text" && typeof record.valueBase64 !== "string") return valueText(record);
  if (typeof record.valueBase64 !== "string" && typeof record.value !== "string") {
    return JSON.stringify(record.value ?? null, null, 2);
  }
  // Binary that is not text is shown as hex whatever the choice: it has no other faithful form.
  if (typeof record.valueBase64 === "string") {
    const bytes = base64Bytes(record.valueBase64);
    const text = asText(bytes);
    if (text === undefined) return hex(bytes);
    if (format === "text") return text;
  }
  const text = valueText(record);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Bytes as hex, 16 to a line with their offset. */
export function hex(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, "0"));
    lines.push(`${i.toString(16).padStart(6, "0")}  ${chunk.join(" ")}`);
  }
  return lines.join("\n");
}

/**
 * Whether a record passes the browser's filters: `key` and `value` are case-insensitive
 * substrings; `header` is `name` (present) or `name=text` (its value contains text).
 */
export function matches(record, { key = "", value = "", header = "" }) {
  if (key && !keyText(record).toLowerCase().includes(key.toLowerCase())) return false;
  if (value && !valueText(record).toLowerCase().includes(value.toLowerCase())) return false;
  if (header) {
    const eq = header.indexOf("=");
    const name = (eq < 0 ? header : header.slice(0, eq)).trim();
    const want = eq < 0 ? undefined : header.slice(eq + 1).toLowerCase();
    const headers = record.headers ?? {};
    if (!(name in headers)) return false;
    if (want !== undefined && !String(headers[name]).toLowerCase().includes(want)) return false;
  }
  return true;
}
