// GET /metrics of the real local worker (wrangler dev), read back with an independent Prometheus
// text parser, against a known workload: 25 records over 4 partitions, a commit, a queue. Other
// test files share the worker, so the request figures are checked as at least what this file sent.
import { describe, expect, it } from "vitest";
import { histogramSeries, parsePrometheus, total } from "../helpers/prometheus.ts";
import { client, newTopic, token, unique, url } from "./consumer-helpers.ts";

async function scrape(): Promise<string> {
  const res = await fetch(new URL("/metrics", url), { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
}

describe("GET /metrics on the local worker", () => {
  it("refuses a scrape without a token", async () => {
    const res = await fetch(new URL("/metrics", url));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
  });

  it("sums the records appended, shows the offsets, a commit's lag and a queue, and counts the produce requests", async () => {
    const topic = await newTopic(4);
    const producer = client.producer();
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 5 }, (_, i) => ({ value: { batch, i }, partition: (batch * 5 + i) % 4 })),
      });
    }
    const group = unique("g");
    const commit = await fetch(new URL(`/v1/groups/${group}/offsets`, url), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ offsets: [{ topic, partition: 1, offset: 2 }] }),
    });
    expect(commit.status).toBe(200);
    const queue = unique("q");
    const received = await client.queue({ groupId: queue, topic, waitMs: 0 }).receive({ maxRecords: 3 });
    expect(received).toHaveLength(3);

    const text = await scrape();
    const families = parsePrometheus(text);
    expect(total(families, "tributary_partition_records_appended_total", { topic })).toBe(25);
    expect(total(families, "tributary_partition_high_watermark", { topic })).toBe(25);
    expect(total(families, "tributary_partition_high_watermark", { topic, partition: "1" })).toBe(6);
    expect(total(families, "tributary_partition_bytes_appended_total", { topic })).toBe(
      total(families, "tributary_partition_bytes", { topic }),
    );
    expect(total(families, "tributary_group_committed_offset", { group, topic, partition: "1" })).toBe(2);
    expect(total(families, "tributary_group_lag", { group, topic, partition: "1" })).toBe(4);
    expect(total(families, "tributary_queue_in_flight", { group: queue, topic })).toBe(3);
    expect(total(families, "tributary_queue_backlog", { group: queue, topic })).toBe(22);

    const route = { method: "POST", route: "/v1/topics/:topic/partitions/:partition/records" };
    const sent = total(families, "tributary_http_requests_total", { ...route, status: "200" });
    expect(sent).toBeGreaterThanOrEqual(5);
    const series = histogramSeries(text);
    expect(total(series, "tributary_http_request_duration_seconds_count", route)).toBeGreaterThanOrEqual(5);
    expect(total(series, "tributary_http_request_duration_seconds_bucket", { ...route, le: "+Inf" })).toBe(
      total(series, "tributary_http_request_duration_seconds_count", route),
    );
  });
});
