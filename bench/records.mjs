// The records every benchmark sends and stores: `{ value: { seq, data } }` produce records
// (the form of docs/api.md) whose JSON text is exactly the target size. Plain JavaScript so that both
// the scenarios (Node) and the bench worker (bundled by wrangler) build the very same records.

/**
 * One produce record whose JSON text is exactly `size` bytes (ASCII only).
 * @param {number} size
 * @param {number} i
 */
export function makeRecord(size, i) {
  const seq = String(i % 10_000_000).padStart(7, "0");
  const empty = JSON.stringify({ value: { seq, data: "" } }).length;
  if (size < empty) throw new Error(`a record cannot be smaller than ${empty} bytes`);
  const data = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(Math.ceil(size / 36)).slice(0, size - empty);
  return { value: { seq, data } };
}

/**
 * @param {number} size bytes of each record's JSON text
 * @param {number} count
 */
export function makeRecords(size, count) {
  return Array.from({ length: count }, (_, i) => makeRecord(size, i));
}
