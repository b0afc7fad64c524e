// The rows of `npm run bench`: each scenario records one value a round under a row id (with the
// round's details); the table, the target lines and latest.json read their medians here. A
// produce or fetch row is compared with the raw rows of its shape: its references.
import { fmt, fmtRatio, log, summarize } from "./report.mjs";

/**
 * Per-round values of each scenario, in the order first seen.
 * @type {Map<string, { id: string, label: string, unit: string, values: number[], details: object[] }>}
 */
export const rows = new Map();

/** @param {string} id @param {string} label @param {string} unit @param {number} value @param {object} [detail] */
export function record(id, label, unit, value, detail = {}) {
  let row = rows.get(id);
  if (!row) {
    row = { id, label, unit, values: [], details: [] };
    rows.set(id, row);
  }
  row.values.push(value);
  row.details.push(detail);
  log(`  ${label.padEnd(58)} ${(unit === "×" ? fmtRatio : fmt)(value).padStart(12)} ${unit}`);
}

/** Median of a row over rounds. */
export const median = (/** @type {string} */ id) => {
  const row = rows.get(id);
  return row ? summarize(row.values).median : undefined;
};
/** Median of one numeric detail field over rounds. */
export const medianDetail = (/** @type {string} */ id, /** @type {string} */ field) => {
  const values =
    rows
      .get(id)
      ?.details.map((d) => d[field])
      .filter((v) => typeof v === "number") ?? [];
  return values.length ? summarize(values).median : undefined;
};

/** A per-round ratio kept in the details: its median and, over several rounds, its spread. */
export function roundRatio(/** @type {string} */ id, /** @type {string} */ field) {
  const values =
    rows
      .get(id)
      ?.details.map((d) => d[field])
      .filter((v) => typeof v === "number") ?? [];
  if (!values.length) return "—";
  const s = summarize(values);
  return values.length > 1
    ? `${fmtRatio(s.median)} (per round ${fmtRatio(s.min)}–${fmtRatio(s.max)})`
    : fmtRatio(s.median);
}

/** The reference rows a scenario is compared with. */
export function references(/** @type {string} */ id) {
  // A split row (bench/scenarios/split.mjs) has its shared-thread row's references: the raw rows
  // measure one object, whichever process it is in.
  if (id.startsWith("split.")) return references(id.slice("split.".length));
  const m = /^produce\.(?:(?:acks\w+|idempotent)\.)?(\d+x\d+)$/.exec(id);
  if (m) return { loop: `raw.loop.${m[1]}`, commits: `raw.commits.${m[1]}`, calls: `raw.calls.${m[1]}` };
  if (id === "fetch.1000x100") return { loop: "raw.read.1000x100" };
  // A pipeline's events/s against the raw insert ceiling of one object (YSB's events are larger).
  if (id === "ysb.rate") return { loop: "raw.loop.1000x100" };
  return {};
}
