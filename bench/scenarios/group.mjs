// The consumer group row: 4 members join one group and each reads its partition of a prefilled
// 4-partition topic, committing and heartbeating as a consumer does (group-consumers.mjs); the
// committed offsets must then be where each stopped.
import { committedOffsets, consumeGroup, joinGroup, leaveGroup } from "../group-consumers.mjs";
import { fmt, log } from "../report.mjs";
import { record } from "../rows.mjs";
import { FETCH_RECORDS } from "../shapes.mjs";
import { createTopic, produceRequest, unique } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

/**
 * Fills the group scenario's topic: `pages` requests of 1000 × 100 B into each partition.
 * @param {Client} client @param {string} token @param {Options} o
 */
export async function prefillGroupTopic(client, token, o) {
  const topic = await createTopic(client, token, "bench-group", o.groupPartitions);
  const requests = Array.from({ length: o.groupPartitions }, (_, p) => ({
    ...produceRequest(token, topic, 100, FETCH_RECORDS),
    path: `/v1/topics/${topic}/partitions/${p}/records`,
  }));
  let sent = 0;
  const r = await client.run({
    durationMs: 300_000,
    maxRequests: o.groupPartitions * o.groupPagesPerPartition,
    next: () => requests[sent++ % o.groupPartitions],
    count: () => FETCH_RECORDS,
  });
  if (r.errors) throw new Error(`prefilling ${topic} failed: ${r.firstError}`);
  const d = await client.json("GET", `/v1/topics/${topic}`, undefined, token);
  const ends = d.partitions.map((/** @type {{ highWatermark: number }} */ p) => p.highWatermark);
  if (
    ends.length !== o.groupPartitions ||
    ends.some((/** @type {number} */ e) => e !== o.groupPagesPerPartition * FETCH_RECORDS)
  ) {
    throw new Error(`prefilled ${topic} holds ${ends.join(", ")} records in its partitions`);
  }
  log(
    `  prefilled ${topic} with ${o.groupPartitions} × ${fmt(ends[0])} records in ${(r.elapsedMs / 1000).toFixed(1)} s`,
  );
  return { topic, ends };
}

/**
 * A group of consumers, one per partition, each reading its partition from the group's committed
 * offset (none: the start) to the prefilled end, as fast as one fetch in flight allows.
 * @param {Client} client one connection per member
 * @param {string} token @param {{ topic: string, ends: number[] }} prefilled
 * @param {Options} o @param {number} round
 */
export async function groupScenario(client, token, prefilled, o, round) {
  const { topic, ends } = prefilled;
  const group = `bench-group-r${round}-${unique()}`;
  const joined = await joinGroup(client, token, {
    group,
    topic,
    count: o.groupConsumers,
    partitions: o.groupPartitions,
    sessionTimeoutMs: o.groupSessionTimeoutMs,
    maxMs: 15_000,
  });
  try {
    const before = await committedOffsets(client, token, group, topic);
    const from = ends.map((_, p) => before.get(p) ?? 0);
    const r = await consumeGroup(client, token, {
      group,
      topic,
      members: joined.members,
      from,
      end: ends,
      maxRecords: FETCH_RECORDS,
      durationMs: o.groupMs,
      warmupMs: o.warmupMs,
      maxFetches: o.groupMaxFetches,
      commitEveryMs: o.groupCommitEveryMs,
      heartbeatEveryMs: o.groupHeartbeatEveryMs,
    });
    // What the group committed must be where each member stopped reading.
    const after = await committedOffsets(client, token, group, topic);
    const mismatches = r.runs
      .filter((run) => after.get(run.partition) !== run.position)
      .map((run) => `partition ${run.partition}: committed ${after.get(run.partition)}, read to ${run.position}`);
    if (r.errors) log(`  ! ${r.errors} consumer errors, first: ${r.firstError}`);
    if (mismatches.length) log(`  ! committed offsets differ from what was read: ${mismatches.join("; ")}`);
    record(
      "group.4x4",
      `group of ${o.groupConsumers} consumers, ${o.groupPartitions} partitions, fetch ${FETCH_RECORDS} × 100 B`,
      "records/s",
      r.measuredRecords / (r.measuredMs / 1000),
      {
        group,
        records: r.records,
        measuredRecords: r.measuredRecords,
        measuredMs: r.measuredMs,
        elapsedMs: r.elapsedMs,
        warmupRecords: r.warmupRecords,
        fetches: r.fetches,
        fetchesPerSecond: r.fetches / (r.elapsedMs / 1000),
        reachedEnd: r.reachedEnd,
        errors: r.errors + mismatches.length,
        firstError: r.firstError,
        mismatches,
        joinMs: joined.joinMs,
        joinPasses: joined.passes,
        rejoins: joined.rejoins,
        generation: joined.members[0].generation,
        members: r.runs.map((run) => ({
          partition: run.partition,
          from: run.from,
          position: run.position,
          committed: after.get(run.partition),
          fetches: run.fetches,
          commits: run.commits,
          heartbeats: run.heartbeats,
          errors: run.errors,
        })),
      },
    );
  } finally {
    const leaveFailures = await leaveGroup(client, token, group, joined.members);
    if (leaveFailures) log(`  ! ${leaveFailures} members could not leave ${group}`);
  }
}
