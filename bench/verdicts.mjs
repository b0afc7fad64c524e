// The lines under the table: each of the issue's targets (targets.mjs) with the medians it is
// checked against and PASS or FAIL, and the acks and idempotence rows in a few lines.
import { CONNECTIONS } from "./options.mjs";
import { fmt, fmtRatio, ratio, summarize } from "./report.mjs";
import { median, medianDetail, roundRatio, rows } from "./rows.mjs";
import { ACKS, GUARANTEES } from "./scenarios/guarantees.mjs";
import { CONSUMER_LABELS, LATENCY_SCENARIOS, latencyLabel, latencyTotals } from "./scenarios/latency.mjs";
import { FETCH_RECORDS, shapeId, shapeLabel } from "./shapes.mjs";
import { GROUP_TARGET, LATENCY_TARGET, PRODUCE_TARGET } from "./targets.mjs";

/** The produce target: its rate, and its ratios to the raw in-object rows of the same run. */
export function produceVerdict() {
  const id = shapeId(PRODUCE_TARGET.batchSize, PRODUCE_TARGET.recordBytes);
  const produced = rows.get(`produce.${id}`)?.values ?? [];
  const raws = rows.get(`raw.loop.${id}`)?.values ?? [];
  const rate = median(`produce.${id}`);
  const raw = median(`raw.loop.${id}`);
  const withCommit = medianDetail(`raw.loop.${id}`, "withCommitRate");
  const perAppend = median(`raw.commits.${id}`);
  const perAppendRatio = ratio(rate, perAppend);
  const perAppendOk = perAppendRatio !== undefined && perAppendRatio >= PRODUCE_TARGET.minRatio;
  const r = ratio(rate, raw);
  // Both are measured once per round, so each round also gives a ratio of its own.
  const perRound = produced.map((p, i) => p / raws[i]);
  const spread = perRound.length ? summarize(perRound) : undefined;
  const rateOk = rate !== undefined && rate >= PRODUCE_TARGET.minRate;
  const ratioOk = r !== undefined && r >= PRODUCE_TARGET.minRatio;
  return {
    text: [
      `Target: ${shapeLabel(PRODUCE_TARGET.batchSize, PRODUCE_TARGET.recordBytes)} records per request into one partition, ${CONNECTIONS} connections`,
      `  rate   ${fmt(rate)} records/s (median)   needs ≥ ${fmt(PRODUCE_TARGET.minRate)}   → ${rateOk ? "PASS" : "FAIL"}`,
      `  ratio  ${fmtRatio(r)} of the raw in-object insert rate, ${fmt(raw)} records/s in this run` +
        (spread ? ` (per round ${fmtRatio(spread.min)}–${fmtRatio(spread.max)})` : "") +
        `   needs ≥ ${PRODUCE_TARGET.minRatio}   → ${ratioOk ? "PASS" : "FAIL"}`,
      `         (${fmtRatio(ratio(rate, withCommit))} of the loop timed with its one commit at the end, ${fmt(withCommit)} records/s)`,
      `  ratio  ${fmtRatio(perAppendRatio)} of the raw in-object insert rate with a commit per append (as every produce request pays), ${fmt(perAppend)} records/s   needs ≥ ${PRODUCE_TARGET.minRatio}   → ${perAppendOk ? "PASS" : "FAIL"}`,
    ].join("\n"),
    json: {
      scenario: `produce.${id}`,
      rate,
      minRate: PRODUCE_TARGET.minRate,
      rawRate: raw,
      ratio: r,
      ratioPerRound: perRound,
      minRatio: PRODUCE_TARGET.minRatio,
      rawRateWithCommit: withCommit,
      ratioToRawWithCommit: ratio(rate, withCommit),
      rawRateCommitPerAppend: perAppend,
      ratioToRawCommitPerAppend: perAppendRatio,
      ratioCommitPerAppendPass: perAppendOk,
      ratePass: rateOk,
      ratioPass: ratioOk,
      pass: rateOk && ratioOk,
    },
  };
}

/** The consumer targets: push latency at 1,000 records/s, and a group's throughput. */
export function consumerVerdicts(/** @type {string} */ pushConsumer, /** @type {number} */ tickMs) {
  const [target, ...others] = LATENCY_SCENARIOS;
  const p50 = median(`${target.id}.p50`);
  const p99 = median(`${target.id}.p99`);
  const t = latencyTotals(target.id);
  const latencyOk =
    p50 !== undefined && p50 < LATENCY_TARGET.maxP50Ms && t.problems === 0 && t.late === 0 && t.rounds > 0;
  const group = rows.get("group.4x4");
  const rate = median("group.4x4");
  const groupErrors = group?.details.reduce((n, d) => n + d.errors, 0) ?? 0;
  const groupOk = rate !== undefined && rate >= GROUP_TARGET.minRate && groupErrors === 0;
  const other = others.map((s) => {
    const consumer = s.consumer === "push" ? pushConsumer : "longpoll";
    const o = latencyTotals(s.id);
    return (
      `         ${latencyLabel(s, consumer)}: p50 ${fmt(median(`${s.id}.p50`))} ms, p99 ${fmt(median(`${s.id}.p99`))} ms` +
      ` (${fmt(o.requestsPerSecond)} produce req/s sent, answered in p50 ${fmt(o.produceP50)} ms; HTTP floor ${fmt(median("http.noop"))} req/s` +
      `${o.unanswered ? `; ${fmt(o.unanswered)} records unanswered and ${fmt(o.late)} acknowledged but not arrived when the drain ended` : ""}${o.problems ? `; ${o.problems} ERRORS` : ""})`
    );
  });
  return {
    text: [
      `Target: end-to-end latency from produce to a ${CONSUMER_LABELS[/** @type {"websocket" | "sse"} */ (pushConsumer)]} consumer at ${fmt(LATENCY_TARGET.recordsPerSecond)} records/s (${target.perRequest} records per request, sent every ${tickMs} ms)`,
      `  p50    ${fmt(p50)} ms (median of rounds; p99 ${fmt(p99)} ms, max ${fmt(t.max)} ms)   needs < ${LATENCY_TARGET.maxP50Ms} ms` +
        (t.problems || t.late ? `, and every record once in offset order (${t.problems} errors, ${t.late} late)` : "") +
        `   → ${latencyOk ? "PASS" : "FAIL"}`,
      `         ${fmt(t.received)} records received of ${fmt(t.sent)} sent (${fmt(t.acknowledged)} acknowledged): ${t.missing} acknowledged but skipped, ${t.late} not arrived when the drain ended, ${t.outOfOrder} out of order, ${t.duplicates} twice` +
        (t.unanswered ? `, ${fmt(t.unanswered)} unanswered` : ""),
      ...other,
      `Target: a group of ${GROUP_TARGET.consumers} consumers reading a ${GROUP_TARGET.partitions}-partition topic (${FETCH_RECORDS} × 100 B per fetch, one fetch in flight per member)`,
      `  rate   ${fmt(rate)} records/s (median)   needs ≥ ${fmt(GROUP_TARGET.minRate)}` +
        (groupErrors ? `, without errors (${groupErrors})` : "") +
        `   → ${groupOk ? "PASS" : "FAIL"}`,
    ].join("\n"),
    json: {
      pushLatency: {
        scenario: target.id,
        consumer: pushConsumer,
        recordsPerSecond: LATENCY_TARGET.recordsPerSecond,
        recordsPerRequest: target.perRequest,
        p50Ms: p50,
        p99Ms: p99,
        maxMs: t.max,
        maxP50Ms: LATENCY_TARGET.maxP50Ms,
        totals: t,
        pass: latencyOk,
        others: Object.fromEntries(
          others.map((s) => [
            s.id,
            { p50Ms: median(`${s.id}.p50`), p99Ms: median(`${s.id}.p99`), ...latencyTotals(s.id) },
          ]),
        ),
      },
      groupConsumers: {
        scenario: "group.4x4",
        consumers: GROUP_TARGET.consumers,
        partitions: GROUP_TARGET.partitions,
        rate,
        minRate: GROUP_TARGET.minRate,
        errors: groupErrors,
        pass: groupOk,
      },
    },
  };
}

/** The acks and idempotence rows in a few lines (the table has the details). */
export function guaranteesSummary() {
  const bytes = GUARANTEES.recordBytes;
  const shape = shapeId(GUARANTEES.acksBatch, bytes);
  const latency = (/** @type {string} */ id) => {
    const lat = rows.get(id)?.details.map((d) => d.latencyMs) ?? [];
    if (!lat.length) return "—";
    return `p50 ${fmt(summarize(lat.map((l) => l.p50)).median)} ms, p99 ${fmt(summarize(lat.map((l) => l.p99)).median)} ms`;
  };
  const sum = (/** @type {string} */ id, /** @type {string} */ k) =>
    rows.get(id)?.details.reduce((n, d) => n + (d[k] ?? 0), 0) ?? 0;
  /** @param {string} id */
  const mismatched = (id) => (rows.get(id)?.details ?? []).filter((d) => d.stored !== d.acknowledged).length;
  const lines = [
    `Acks: ${GUARANTEES.recordBytes} B records into one partition with replication factor ${GUARANTEES.replicationFactor} (leader + 2 followers, minInsyncReplicas 2; acks all waits for every in-sync replica); idempotence: the same into one partition with one replica, against the plain row; ${CONNECTIONS} connections`,
  ];
  for (const a of ACKS) {
    const id = `produce.${a.id}.${shape}`;
    if (a.acks === 0) {
      const lost = sum(id, "lost");
      lines.push(
        `  ${a.label.padEnd(10)} ${fmt(median(id))} records/s stored (answered 202 at ${fmt(median(`${id}.answered`))} records/s, ${latency(`${id}.answered`)})` +
          `; ${lost > 0 ? `${fmt(lost)} LOST` : "none lost"}`,
      );
    } else {
      const label = a.acks === "all" ? "acks all" : a.label;
      lines.push(
        `  ${label.padEnd(10)} ${fmt(median(id))} records/s, ${latency(id)}` +
          (mismatched(id) ? "; HIGH WATERMARK ≠ ACKNOWLEDGED" : ""),
      );
    }
  }
  const idempotent = GUARANTEES.idempotentBatches.map((batch) => {
    const id = `produce.idempotent.${shapeId(batch, bytes)}`;
    return (
      `${shapeLabel(batch, bytes)} ${fmt(median(id))} records/s, ${roundRatio(id, "ratioToPlain")} of the same without producer` +
      (mismatched(id) ? ", HIGH WATERMARK ≠ ACKNOWLEDGED" : "")
    );
  });
  const checked = GUARANTEES.idempotentBatches.every((b) => !mismatched(`produce.idempotent.${shapeId(b, bytes)}`));
  lines.push(
    `  idempotent ${idempotent.join("; ")}${checked ? "; high watermark = records acknowledged in every round" : ""}`,
  );
  return lines.join("\n");
}
