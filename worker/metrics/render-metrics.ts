/**
 * Every metric /metrics answers (docs/metrics.md lists them): the cluster's, gathered at the
 * scrape (cluster/cluster-metrics.ts), and this isolate's request metrics
 * (request-metrics.ts), as Prometheus text.
 */
import type { ClusterMetrics } from "../../cluster/cluster-metrics.ts";
import { Exposition } from "./exposition.ts";
import type { RequestMetrics } from "./request-metrics.ts";

export function renderMetrics(cluster: ClusterMetrics, requests: RequestMetrics, scrapeSeconds: number): string {
  const out = new Exposition();

  const partitionFamilies = [
    [
      "tributary_partition_records_appended_total",
      "counter",
      "Records the partition's leader has stored since it began (appended, or copied from an earlier leader).",
      "appendedRecords",
    ],
    [
      "tributary_partition_bytes_appended_total",
      "counter",
      "Bytes of the records the partition's leader has stored since it began.",
      "appendedBytes",
    ],
    [
      "tributary_partition_high_watermark",
      "gauge",
      "The offset the partition's next record will get.",
      "highWatermark",
    ],
    [
      "tributary_partition_log_start_offset",
      "gauge",
      "The partition's first offset still held (retention and DeleteRecords move it up).",
      "logStartOffset",
    ],
    ["tributary_partition_bytes", "gauge", "Bytes of the records the partition holds, locally and in R2.", "bytes"],
  ] as const;
  for (const [name, type, help, field] of partitionFamilies) {
    out.family(name, type, help);
    for (const p of cluster.partitions) out.sample(name, { topic: p.topic, partition: p.partition }, p[field]);
  }

  out.family(
    "tributary_group_committed_offset",
    "gauge",
    "The group's committed offset of the partition: the next record it will read.",
  );
  for (const g of cluster.groups) {
    for (const o of g.offsets) {
      out.sample(
        "tributary_group_committed_offset",
        { group: g.group, topic: o.topic, partition: o.partition },
        o.committed,
      );
    }
  }
  out.family("tributary_group_lag", "gauge", "Records of the partition after the group's committed offset.");
  for (const g of cluster.groups) {
    for (const o of g.offsets) {
      out.sample("tributary_group_lag", { group: g.group, topic: o.topic, partition: o.partition }, o.lag);
    }
  }

  const queueFamilies = [
    ["tributary_queue_backlog", "gauge", "Records of the queue's topic not delivered to the group yet.", "backlog"],
    [
      "tributary_queue_in_flight",
      "gauge",
      "Records delivered and not acked, their visibility timeout running.",
      "inFlight",
    ],
    ["tributary_queue_delayed", "gauge", "Records nacked with a delay that has not passed.", "delayed"],
    [
      "tributary_queue_redeliverable",
      "gauge",
      "Records nacked or timed out, delivered again at the next receive.",
      "redeliverable",
    ],
    ["tributary_queue_redeliveries_total", "counter", "Deliveries after a record's first.", "redeliveries"],
    ["tributary_queue_acked_total", "counter", "Records acked.", "acked"],
    ["tributary_queue_dead_lettered_total", "counter", "Records moved to the dead-letter topic.", "deadLettered"],
    [
      "tributary_queue_dead_letter_remaining",
      "gauge",
      "Records of the dead-letter topic past the group's redrive position.",
      "deadLetterRemaining",
    ],
  ] as const;
  for (const [name, type, help, field] of queueFamilies) {
    out.family(name, type, help);
    for (const g of cluster.groups) {
      for (const q of g.queues) out.sample(name, { group: g.group, topic: q.topic }, q[field]);
    }
  }

  out.family(
    "tributary_stream_task_lag",
    "gauge",
    "Records of the source topic's partition the stream task has not processed yet.",
  );
  for (const t of cluster.tasks) {
    for (const s of t.sources) {
      out.sample("tributary_stream_task_lag", { ...taskLabels(t), topic: s.topic }, s.lag);
    }
  }
  const taskFamilies = [
    [
      "tributary_stream_task_processed_total",
      "Records the stream task has read from its sources (not counting global tables).",
      "processed",
    ],
    [
      "tributary_stream_task_produced_total",
      "Records the stream task has committed for producing (outputs, repartitioned and late records).",
      "produced",
    ],
    ["tributary_stream_task_late_total", "Records the stream task dropped because their window had closed.", "late"],
    ["tributary_stream_task_skipped_total", "Records the source or global table schemas rejected.", "skipped"],
  ] as const;
  for (const [name, help, field] of taskFamilies) {
    out.family(name, "counter", help);
    for (const t of cluster.tasks) out.sample(name, taskLabels(t), t.counters[field]);
  }

  out.family(
    "tributary_scrape_failures",
    "gauge",
    "Objects that did not answer this scrape (left out of it), by kind.",
  );
  for (const [object, n] of Object.entries(cluster.failures)) out.sample("tributary_scrape_failures", { object }, n);
  out.family(
    "tributary_scrape_duration_seconds",
    "gauge",
    "How long this scrape took to gather the cluster's figures.",
  );
  out.sample("tributary_scrape_duration_seconds", {}, scrapeSeconds);

  // This isolate's own: every series labelled with it.
  const isolate = requests.isolate;
  out.family(
    "tributary_isolate_start_time_seconds",
    "gauge",
    "When the isolate that answered this scrape counted its first request (its request metrics run from then).",
  );
  out.sample("tributary_isolate_start_time_seconds", { isolate }, requests.startedAt / 1000);
  out.family(
    "tributary_http_requests_total",
    "counter",
    "Requests this isolate answered, by route pattern, method and status.",
  );
  for (const r of requests.requests()) {
    out.sample(
      "tributary_http_requests_total",
      { isolate, method: r.method, route: r.route, status: r.status },
      r.count,
    );
  }
  out.family(
    "tributary_http_request_duration_seconds",
    "histogram",
    "Time to answer a request in this isolate, by route pattern and method.",
  );
  for (const l of requests.latencies()) {
    out.histogram(
      "tributary_http_request_duration_seconds",
      { isolate, method: l.method, route: l.route },
      l.histogram,
    );
  }
  out.family("tributary_http_errors_total", "counter", "Errors this isolate answered, by code of the error table.");
  for (const e of requests.errorCounts()) out.sample("tributary_http_errors_total", { isolate, code: e.code }, e.count);
  return out.text();
}

function taskLabels(t: { app: string; subTopology: number; partition: number }) {
  return { app: t.app, sub_topology: t.subTopology, partition: t.partition };
}
