// GET /metrics on a known workload, read back with an independent Prometheus text parser:
// append counters, offsets, lag, queue figures, stream tasks, and this isolate's requests.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { call, createTopic, TOKEN, uniqueName, waitFor } from "../helpers/http.ts";
import { histogramSeries, type ParsedFamily, parsePrometheus, samples, total } from "../helpers/prometheus.ts";
import { produce, registerApp, startApp } from "./stream-apps-fixtures.ts";
import { issueToken, requestAs } from "./token-helpers.ts";

const scrape = (path: string, token: string | undefined) => requestAs(token, "GET", path);

/** The exposition as text, as a superuser scrapes it. */
async function textOf(path = "/metrics"): Promise<string> {
  const res = await exports.default.fetch(
    new Request(`http://tributary.test${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }),
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
}

async function metrics(): Promise<{ families: ParsedFamily[]; series: ParsedFamily[]; text: string }> {
  const text = await textOf();
  return { families: parsePrometheus(text), series: histogramSeries(text), text };
}

describe("GET /metrics", () => {
  it("needs a token that may describe the cluster, at /metrics and /v1/metrics", async () => {
    expect((await scrape("/metrics", undefined)).status).toBe(401);
    expect((await scrape("/v1/metrics", undefined)).status).toBe(401);
    const topicsOnly = await issueToken({ acls: [{ resource: "topic", pattern: "*", operations: ["describe"] }] });
    for (const path of ["/metrics", "/v1/metrics"]) {
      expect(await scrape(path, topicsOnly.token)).toMatchObject({ status: 403, code: "CLUSTER_AUTHORIZATION_FAILED" });
    }
    const viewer = await issueToken({ acls: [{ resource: "cluster", operations: ["describe"] }] });
    expect((await scrape("/metrics", viewer.token)).status).toBe(200);
    expect(parsePrometheus(await textOf("/v1/metrics")).length).toBeGreaterThan(10);
  });

  it("counts records and bytes appended per partition, with offsets and a group's lag", async () => {
    const topic = await createTopic(4);
    for (let batch = 0; batch < 5; batch++) {
      const records = Array.from({ length: 5 }, (_, i) => ({ value: { batch, i }, partition: (batch * 5 + i) % 4 }));
      expect((await call("POST", `/v1/topics/${topic}/records`, { records })).status).toBe(200);
    }
    const group = uniqueName("g");
    await call("POST", `/v1/groups/${group}/offsets`, { offsets: [{ topic, partition: 0, offset: 3 }] });

    const { families } = await metrics();
    expect(total(families, "tributary_partition_records_appended_total", { topic })).toBe(25);
    const perPartition = [0, 1, 2, 3].map((p) =>
      total(families, "tributary_partition_records_appended_total", { topic, partition: String(p) }),
    );
    expect(perPartition).toEqual([7, 6, 6, 6]);
    const hwm = [0, 1, 2, 3].map((p) =>
      total(families, "tributary_partition_high_watermark", { topic, partition: String(p) }),
    );
    expect(hwm).toEqual([7, 6, 6, 6]);
    expect(total(families, "tributary_partition_log_start_offset", { topic })).toBe(0);
    // Nothing was removed: the bytes appended are the bytes held.
    const bytes = total(families, "tributary_partition_bytes_appended_total", { topic });
    expect(bytes).toBeGreaterThan(25 * 10);
    expect(bytes).toBe(total(families, "tributary_partition_bytes", { topic }));
    expect(samples(families, "tributary_group_committed_offset", { group, topic })).toEqual([
      { labels: { group, topic, partition: "0" }, value: "3" },
    ]);
    expect(total(families, "tributary_group_lag", { group, topic, partition: "0" })).toBe(4);
    expect(samples(families, "tributary_partition_records_appended_total", { topic })[0]!.labels).toEqual({
      topic,
      partition: expect.any(String),
    });
    expect(total(families, "tributary_scrape_failures")).toBe(0);
  });

  it("keeps the append counters across a restart of the partition", async () => {
    const topic = await createTopic(1);
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
    const scraped = (await metrics()).families;
    const before = total(scraped, "tributary_partition_records_appended_total", { topic });
    const bytesBefore = total(scraped, "tributary_partition_bytes_appended_total", { topic });
    expect(before).toBe(3);
    expect(bytesBefore).toBeGreaterThan(0);
    const restarted = await call("POST", "/v1/_test/faults", { topic, partition: 0, replica: 0, restart: true });
    expect(restarted.status).toBe(200);
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 4 }] });
    const rescraped = (await metrics()).families;
    expect(total(rescraped, "tributary_partition_records_appended_total", { topic })).toBe(4);
    // Nothing was removed, so the bytes come back whole from the stored log, plus the new record's.
    expect(total(rescraped, "tributary_partition_bytes_appended_total", { topic })).toBeGreaterThan(bytesBefore);
  });

  it("shows a queue's backlog, records in flight and dead letters per group", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("q");
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 1 });
    await call("POST", `/v1/topics/${topic}/records`, {
      records: Array.from({ length: 10 }, (_, i) => ({ value: i })),
    });
    const got = await call("POST", `/v1/groups/${group}/receive`, { topic, maxRecords: 4 });
    const [dead, ...held] = got.json.records as { receipt: string }[];
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [dead!.receipt] });
    expect(held).toHaveLength(3);
    const { families } = await metrics();
    const of = (name: string) => total(families, name, { group, topic });
    expect({
      backlog: of("tributary_queue_backlog"),
      inFlight: of("tributary_queue_in_flight"),
      deadLettered: of("tributary_queue_dead_lettered_total"),
      remaining: of("tributary_queue_dead_letter_remaining"),
      acked: of("tributary_queue_acked_total"),
    }).toEqual({ backlog: 6, inFlight: 3, deadLettered: 1, remaining: 1, acked: 0 });
    // The dead-letter topic is a topic like the others.
    expect(total(families, "tributary_partition_records_appended_total", { topic: `${topic}.dlq` })).toBe(1);
  });

  it("shows each stream task's lag and the records it processed", async () => {
    const { app, source } = await registerApp(2, (a, s, out) => {
      a.stream(s, { key: z.string(), value: z.unknown() }).to(out);
    });
    await startApp(app.name);
    await produce(
      source,
      Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: i })),
    );
    const families = await waitFor(
      async () => {
        const { families } = await metrics();
        return total(families, "tributary_stream_task_processed_total", { app: app.name }) === 12
          ? families
          : undefined;
      },
      20_000,
      "the tasks to process 12 records",
    );
    expect(samples(families, "tributary_stream_task_processed_total", { app: app.name })).toHaveLength(2);
    expect(total(families, "tributary_stream_task_lag", { app: app.name, topic: source })).toBe(0);
    expect(total(families, "tributary_stream_task_produced_total", { app: app.name })).toBe(12);
  });

  it("counts this isolate's requests by route pattern and status, their latency, and errors by code", async () => {
    const topic = await createTopic(1);
    const route = { method: "POST", route: "/v1/topics/:topic/records", status: "200" };
    const first = await metrics();
    const isolate = samples(first.families, "tributary_isolate_start_time_seconds")[0]!.labels!.isolate!;
    for (let i = 0; i < 3; i++) await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: i }] });
    await call("GET", `/v1/topics/${uniqueName("missing")}`);
    await call("GET", "/v1/nowhere");
    await call("GET", "/nowhere");
    const second = await metrics();
    const delta = (name: string, match: Record<string, string>, fromSeries = false) =>
      total(fromSeries ? second.series : second.families, name, match) -
      total(fromSeries ? first.series : first.families, name, match);
    expect(delta("tributary_http_requests_total", { ...route, isolate })).toBe(3);
    // The raw path is never a label: the topic's name appears in no request series.
    expect(second.text).not.toMatch(new RegExp(`route="[^"]*${topic}`));
    const { status: _, ...latency } = route;
    expect(delta("tributary_http_request_duration_seconds_count", { ...latency, isolate }, true)).toBe(3);
    expect(delta("tributary_http_request_duration_seconds_bucket", { ...latency, isolate, le: "+Inf" }, true)).toBe(3);
    expect(delta("tributary_http_errors_total", { code: "UNKNOWN_TOPIC_OR_PARTITION", isolate })).toBe(1);
    expect(delta("tributary_http_errors_total", { code: "NOT_FOUND", isolate })).toBe(2);
    expect(
      delta("tributary_http_requests_total", { method: "GET", route: "/v1/topics/:topic", status: "404", isolate }),
    ).toBe(1);
    expect(delta("tributary_http_requests_total", { method: "GET", route: "/v1/*", status: "404", isolate })).toBe(1);
    expect(delta("tributary_http_requests_total", { method: "GET", route: "unmatched", status: "404", isolate })).toBe(
      1,
    );
  });
});
