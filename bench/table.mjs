// The table `npm run bench` prints: each row's median and min–max over rounds, its ratios to its
// references, and notes on what else the rounds' details show (requests/s against the HTTP floor,
// latency percentiles, the checks of what was stored, read or committed, and what failed).
import { fmt, fmtRatio, markdownTable, ratio, summarize } from "./report.mjs";
import { median, medianDetail, references, roundRatio, rows } from "./rows.mjs";
import { kafkaNotes } from "./scenarios/kafka.mjs";
import { latencyTotals } from "./scenarios/latency.mjs";
import { GROUP_TARGET } from "./targets.mjs";

/** A latency row's notes: records received and checked, the produce side, the worst max. */
function latencyNotes(/** @type {string} */ id) {
  const base = id.replace(/\.p(50|99)$/, "");
  const t = latencyTotals(base);
  const parts = [];
  if (id.endsWith(".p99")) {
    parts.push(`max ${fmt(t.max)} ms (worst round)`);
    parts.push(`the produce answers' own p99: ${fmt(t.produceP99)} ms`);
    return parts.join("; ");
  }
  if (t.problems) {
    parts.push(
      `ERRORS: ${t.missing} acknowledged but skipped, ${t.outOfOrder} out of order, ${t.duplicates} duplicates, ` +
        `${t.produceErrors} failed produces, ${t.consumerErrors} consumer failures`,
    );
  }
  parts.push(
    `${fmt(t.received)} records received of ${fmt(t.sent)} sent` +
      (t.problems || t.late
        ? ""
        : `, once each in offset order, every one of the ${fmt(t.acknowledged)} acknowledged among them`) +
      ` (${fmt(t.measured)} timed, after the warm-ups)`,
  );
  if (t.late) {
    parts.push(`${fmt(t.late)} acknowledged records had not arrived when the drain ended (none skipped)`);
  }
  if (t.unanswered) {
    parts.push(`PRODUCER FELL BEHIND: ${fmt(t.unanswered)} records still unanswered when the drain ended`);
  }
  parts.push(`${fmt(t.requestsPerSecond)} produce req/s sent, answered in p50 ${fmt(t.produceP50)} ms`);
  return parts.join("; ");
}

/** The group row's notes: fetches/s, time, join, the commit check, the fetch row's share. */
function groupNotes(/** @type {string} */ id) {
  const details = rows.get(id)?.details ?? [];
  const m = (/** @type {string} */ k) => medianDetail(id, k);
  const parts = [];
  const mismatches = details.flatMap((d) => d.mismatches);
  if (mismatches.length) parts.push(`COMMITTED OFFSETS DIFFER: ${mismatches.join("; ")}`);
  const errors = details.reduce((n, d) => n + d.errors, 0) - mismatches.length;
  if (errors) parts.push(`${errors} CONSUMER ERRORS`);
  parts.push(
    `${fmt(m("fetchesPerSecond"))} fetches/s over ${GROUP_TARGET.consumers} connections, 1 in flight per member`,
  );
  const ended = details.filter((d) => d.reachedEnd).length;
  parts.push(
    `${fmt(m("measuredMs") / 1000)} s timed` +
      (ended ? ` (${ended} of ${details.length} rounds stopped at the prefilled end)` : ""),
  );
  parts.push(`joined and settled in ${fmt(m("joinMs"))} ms`);
  if (!mismatches.length) parts.push("commits match what was read");
  parts.push(`${fmtRatio(ratio(median(id), median("fetch.1000x100")))} of the 16-connection fetch row`);
  return parts.join("; ");
}

/** The acks and idempotent rows: how they compare with the plain produce row, and the stored check. */
function guaranteeNotes(/** @type {string} */ id) {
  const details = rows.get(id)?.details ?? [];
  const sum = (/** @type {string} */ k) => details.reduce((n, d) => n + (d[k] ?? 0), 0);
  const shape = id.split(".")[2];
  const parts = [];
  if (id.startsWith("produce.acks0.")) {
    const lost = sum("lost");
    if (lost > 0) parts.push(`LOST: ${fmt(lost)} records answered 202 were never stored`);
    if (lost < 0) parts.push(`${fmt(-lost)} more records stored than answered 202 (requests that failed here)`);
    parts.push(
      `${fmt(medianDetail(id, "stored"))} records stored in ${fmt(medianDetail(id, "storedMs") / 1000)} s, ` +
        `the last ${fmt(medianDetail(id, "drainMs"))} ms after the load stopped (high watermark read every ${fmt(medianDetail(id, "pollMs"))} ms)`,
    );
    if (!lost) parts.push(`every record answered 202 was stored (${fmt(sum("accepted"))} over the rounds)`);
    parts.push(
      `${roundRatio(id, "ratioToPlain")} of produce ${shape.replace("x", " × ")} B (no acks field) of the same round`,
    );
    return parts;
  }
  const mismatches = details.filter((d) => d.stored !== d.acknowledged);
  if (mismatches.length) {
    parts.push(
      `HIGH WATERMARK ≠ RECORDS ACKNOWLEDGED: ${mismatches.map((d) => `${fmt(d.stored)} stored, ${fmt(d.acknowledged)} acknowledged`).join("; ")}`,
    );
  }
  if (id.startsWith("produce.idempotent.")) {
    parts.push(`${roundRatio(id, "ratioToPlain")} of the same produce without producer in the same round`);
    if (details.some((d) => typeof d.ratioToAcks1 === "number")) {
      parts.push(`${roundRatio(id, "ratioToAcks1")} of the acks 1 row (a body with one more field)`);
    }
    parts.push(`${details[0]?.producers ?? "—"} producer ids, one per connection`);
  } else {
    parts.push(
      `${roundRatio(id, "ratioToPlain")} of produce ${shape.replace("x", " × ")} B (no acks field) of the same round`,
    );
  }
  if (!mismatches.length) parts.push(`high watermark = records acknowledged in every round`);
  return parts;
}

/** The notes column of one row. */
function notes(/** @type {string} */ id) {
  if (id.startsWith("latency.")) return latencyNotes(id);
  if (id.startsWith("group.")) return groupNotes(id);
  if (id.startsWith("kafka.")) return kafkaNotes(id);
  const parts = [];
  const errors = rows.get(id)?.details.reduce((n, d) => n + (d.errors ?? 0), 0) ?? 0;
  if (errors) parts.push(`${errors} FAILED REQUESTS`);
  const rps = medianDetail(id, "requestsPerSecond");
  // A split row's floor is the split front's.
  const floorId = id.startsWith("split.") ? "split.http.noop" : "http.noop";
  if (rps !== undefined) parts.push(`${fmt(rps)} req/s (${fmtRatio(ratio(rps, median(floorId)))} of floor)`);
  const lat =
    rows
      .get(id)
      ?.details.map((d) => d.latencyMs)
      .filter(Boolean) ?? [];
  if (lat.length) {
    const p50 = summarize(lat.map((l) => l.p50)).median;
    const p99 = summarize(lat.map((l) => l.p99)).median;
    parts.push(`p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`);
  }
  const frontCores = medianDetail(id, "frontCores");
  if (frontCores !== undefined) {
    parts.push(
      `CPU: front workerd ${fmt(frontCores)} cores, objects' workerd ${fmt(medianDetail(id, "objectsCores"))} cores`,
    );
  }
  if (id.startsWith("raw.loop")) parts.push(`with its commit ${fmt(medianDetail(id, "withCommitRate"))}/s`);
  if (id.startsWith("raw.calls"))
    parts.push(`${fmt(medianDetail(id, "calls") / (medianDetail(id, "outerMs") / 1000))} calls/s`);
  if (/^produce\.(acks\w+|idempotent)\.\d+x\d+$/.test(id)) parts.push(...guaranteeNotes(id));
  if (id === "storage.catchup.tiered") {
    parts.push(
      `${fmtRatio(ratio(median(id), median("storage.catchup.local")))} of reading SQLite rows in the same rounds`,
    );
    parts.push(
      `${fmt(medianDetail(id, "megabytesPerSecond"))} MB/s; ${fmt(medianDetail(id, "segmentLoads"))} segment reads from R2 per round (${fmt(medianDetail(id, "segments"))} segments of about 4 MB)`,
    );
  }
  if (id === "storage.catchup.local") parts.push(`${fmt(medianDetail(id, "megabytesPerSecond"))} MB/s`);
  if (id === "compaction.examined") {
    parts.push(
      `${fmt(medianDetail(id, "examined"))} records over ${fmt(medianDetail(id, "keys"))} keys, ${fmt(medianDetail(id, "removed"))} removed, in ${fmt(medianDetail(id, "outerMs"))} ms (${fmt(medianDetail(id, "runs"))} alarm runs of at most 16 slices of 4,000 records)`,
    );
  }
  if (id === "redis.xadd")
    parts.push(`Tributary 1000 × 100 B produce: ${fmtRatio(ratio(median("produce.1000x100"), median(id)))} of this`);
  if (id === "redis.xrange")
    parts.push(`Tributary fetch: ${fmtRatio(ratio(median("fetch.1000x100"), median(id)))} of this`);
  return parts.join("; ");
}

/** The markdown table of every row, in the order the rows were first recorded. */
export function table() {
  const header = [
    "scenario",
    "median",
    "min–max",
    "unit",
    "÷ raw loop",
    "÷ raw loop, commit per append",
    "÷ raw 1 call/append",
    "notes",
  ];
  // Each split row right after its shared-thread row (the same id without `split.`).
  const all = [...rows.values()];
  const ordered = all.filter((r) => !r.id.startsWith("split.") || !rows.has(r.id.slice("split.".length)));
  for (const r of all) {
    if (!r.id.startsWith("split.") || !rows.has(r.id.slice("split.".length))) continue;
    ordered.splice(ordered.findIndex((x) => x.id === r.id.slice("split.".length)) + 1, 0, r);
  }
  const body = ordered.map((row) => {
    const s = summarize(row.values);
    const ref = references(row.id);
    return [
      row.label,
      // A ratio row (unit ×) may be far below 0.1 (a pipeline's share of a raw ceiling).
      (row.unit === "×" ? fmtRatio : fmt)(s.median),
      `${(row.unit === "×" ? fmtRatio : fmt)(s.min)}–${(row.unit === "×" ? fmtRatio : fmt)(s.max)}`,
      row.unit,
      fmtRatio(ratio(s.median, ref.loop && median(ref.loop))),
      fmtRatio(ratio(s.median, ref.commits && median(ref.commits))),
      fmtRatio(ratio(s.median, ref.calls && median(ref.calls))),
      notes(row.id),
    ];
  });
  return markdownTable(header, body);
}
