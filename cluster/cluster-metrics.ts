/**
 * The cluster's figures for /metrics (docs/metrics.md), gathered at each scrape: every
 * partition's offsets, size and append counters (one status call to each partition's leader),
 * every group's committed offsets, lag and queue figures (one call to each group, handed the
 * partitions' offsets so it asks no partition itself), and every stream task's lag and counts.
 * An object that does not answer is left out and counted in `failures`, so one slow partition
 * does not fail the scrape.
 */
import type { StreamsApp } from "../sdk/streams/index.ts";
import { partitionStatus } from "./reads.ts";
import type { TopicMeta } from "./rpc/controller.ts";
import type { GroupMetrics, LogOffsets } from "./rpc/group-coordinator.ts";
import type { PartitionStatus } from "./rpc/partition-log.ts";
import type { TaskCounters } from "./rpc/stream-task.ts";
import { startApp } from "./stream-apps.ts";
import { controllerStub, groupStub } from "./stubs.ts";

export interface PartitionMetrics {
  topic: string;
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  bytes: number;
  appendedRecords: number;
  appendedBytes: number;
}

export interface TaskMetrics {
  app: string;
  subTopology: number;
  partition: number;
  sources: { topic: string; lag: number }[];
  counters: TaskCounters;
}

export interface ClusterMetrics {
  partitions: PartitionMetrics[];
  groups: ({ group: string } & GroupMetrics)[];
  tasks: TaskMetrics[];
  /** Objects that did not answer this time, by kind. */
  failures: { partition: number; group: number; app: number };
}

export async function collectClusterMetrics(env: Env, apps: readonly StreamsApp[]): Promise<ClusterMetrics> {
  const controller = controllerStub(env);
  const [topics, groupNames] = await Promise.all([
    controller.listTopics() as Promise<TopicMeta[]>,
    controller.listGroups() as Promise<string[]>,
  ]);
  const failures = { partition: 0, group: 0, app: 0 };

  const asked = topics.flatMap((meta) =>
    Array.from({ length: meta.partitions }, (_, partition) => ({ meta, partition })),
  );
  const statuses = await Promise.allSettled(asked.map(({ meta, partition }) => partitionStatus(env, meta, partition)));
  const partitions: PartitionMetrics[] = [];
  const logs: Record<string, LogOffsets[]> = {};
  statuses.forEach((answer, i) => {
    const { meta, partition } = asked[i]!;
    if (answer.status !== "fulfilled" || !answer.value.ok) {
      failures.partition++;
      return;
    }
    const s = answer.value as PartitionStatus;
    partitions.push({
      topic: meta.name,
      partition,
      logStartOffset: s.logStartOffset,
      highWatermark: s.highWatermark,
      bytes: s.bytes,
      appendedRecords: s.appendedRecords ?? 0,
      appendedBytes: s.appendedBytes ?? 0,
    });
    // A topic with a partition missing is left out of lag, rather than shown with holes.
    const offsets = logs[meta.name] ?? [];
    offsets[partition] = { logStartOffset: s.logStartOffset, highWatermark: s.highWatermark };
    logs[meta.name] = offsets;
  });
  for (const meta of topics) {
    // filter skips the holes of partitions that did not answer.
    if (logs[meta.name] && logs[meta.name]!.filter(Boolean).length !== meta.partitions) delete logs[meta.name];
  }

  const groupAnswers = await Promise.allSettled(groupNames.map((g) => groupStub(env, g).metrics(logs)));
  const groups: ClusterMetrics["groups"] = [];
  groupAnswers.forEach((answer, i) => {
    if (answer.status === "fulfilled") groups.push({ group: groupNames[i]!, ...(answer.value as GroupMetrics) });
    else failures.group++;
  });

  const appAnswers = await Promise.allSettled(apps.map((app) => startApp(env, app)));
  const tasks: TaskMetrics[] = [];
  for (const answer of appAnswers) {
    if (answer.status !== "fulfilled") {
      failures.app++;
      continue;
    }
    for (const t of answer.value.tasks) {
      tasks.push({
        app: t.app,
        subTopology: t.subTopology,
        partition: t.partition,
        sources: t.sources.flatMap((s) => (s.lag === null ? [] : [{ topic: s.topic, lag: s.lag }])),
        counters: t.counters,
      });
    }
  }
  return { partitions, groups, tasks, failures };
}
