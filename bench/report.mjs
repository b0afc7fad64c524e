// Statistics and the printed report of `npm run bench`.

/** A progress line, on stderr: stdout holds only the report. */
export const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);

/** @param {number[]} values */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Rates with thousands separators, small values with a little precision. */
export function fmt(/** @type {number | undefined} */ n) {
  if (n === undefined || !Number.isFinite(n)) return "—";
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export const ratio = (/** @type {number | undefined} */ a, /** @type {number | undefined} */ b) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

/** Two decimals; two significant digits below 0.1 (a pipeline's share of a raw ceiling). */
export const fmtRatio = (/** @type {number | undefined} */ r) =>
  r === undefined ? "—" : r > 0 && r < 0.1 ? r.toPrecision(2) : r.toFixed(2);

/** @param {string[]} header @param {string[][]} rows */
export function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
