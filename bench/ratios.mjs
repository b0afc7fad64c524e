// The ratio rows of `npm run bench`: four figures divided by their references measured in the
// same round (the median over rounds of the per-round ratios is the row): the ad-click pipeline
// by the raw in-object insert loop, replication factor 3 with acks all by one replica, and
// single-record produce by the HTTP floor of the same process; the Durable Streams catch-up read
// by the reference server is a row of bench/durable-streams.mjs (ds.read.ratio). With --split,
// the same ratios of the split rows (the raw loop is one object's ceiling, whichever process).
import { record, rows } from "./rows.mjs";

export const RATIOS = [
  {
    id: "ratio.adclicks.rawloop",
    label: "ratio: ad clicks through the pipeline (clicks/s) ÷ raw in-DO insert loop 1000 × 100 B (records/s)",
    of: "adclicks.pipeline",
    to: "raw.loop.1000x100",
  },
  {
    id: "ratio.acksall.rf1",
    label: "ratio: produce 100 × 100 B, replication factor 3 acks all ÷ one replica (no acks field)",
    of: "produce.acksall.100x100",
    to: "produce.100x100",
  },
  {
    id: "ratio.produce1.floor",
    label: "ratio: produce 1 × 100 B per request (records/s) ÷ HTTP floor (requests/s)",
    of: "produce.1x100",
    to: "http.noop",
  },
];

/** The value a row got in `round` (rows are recorded once a round), if it ran in every round so far. */
const inRound = (/** @type {string} */ id, /** @type {number} */ round) => rows.get(id)?.values[round - 1];

/** Records the ratio rows whose two rows were measured in this round. @param {number} round */
export function ratioRows(round) {
  for (const mode of ["", "split."]) {
    for (const r of RATIOS) {
      const of = inRound(`${mode}${r.of}`, round);
      // The raw loop is the same reference for both modes.
      const to = inRound(r.to.startsWith("raw.") ? r.to : `${mode}${r.to}`, round);
      if (of === undefined || to === undefined || !to) continue;
      const label = mode ? `${r.label}, split (front and objects in two workerd processes)` : r.label;
      record(`${mode}${r.id}`, label, "×", of / to, { of, to });
    }
  }
}
