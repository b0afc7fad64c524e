// `tributary queue stats` and `tributary queue redrive` against a queue-mode group with a known
// workload: three jobs, one acked, two nacked past maxDeliveries into the dead-letter topic.
import { describe, expect, inject, it } from "vitest";
import { oneLineError, tributary, unique } from "./cli-helpers.ts";

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(new URL(path, inject("baseUrl")), {
    method,
    headers: { authorization: `Bearer ${inject("token")}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

describe("tributary queue", () => {
  it("prints a queue's figures, redrives its dead letters, and says when a group is not a queue", async () => {
    const topic = unique("cli-jobs");
    const group = unique("cli-workers");
    await tributary(["topic", "create", topic, "-r", "1"]);
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 1 });
    await tributary(["produce", topic], { input: "job-1\njob-2\njob-3\n" });
    const { records } = await call("POST", `/v1/groups/${group}/receive`, { topic, maxRecords: 3, waitMs: 5000 });
    expect(records).toHaveLength(3);
    await call("POST", `/v1/groups/${group}/ack`, { receipts: [records[0].receipt] });
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [records[1].receipt, records[2].receipt] });

    const stats = await tributary(["queue", "stats", group, "--json"]);
    expect(stats.stderr).toBe("");
    expect(JSON.parse(stats.stdout)).toMatchObject({
      group,
      topic,
      maxDeliveries: 1,
      deadLetterTopic: `${topic}.dlq`,
      backlog: 0,
      inFlight: 0,
      acked: 1,
      deadLettered: 2,
      deadLetterRemaining: 2,
      partitions: [expect.objectContaining({ partition: 0, highWatermark: 3, acked: 1, deadLettered: 2 })],
    });
    const table = (await tributary(["queue", "stats", group, "-t", topic])).stdout;
    expect(table).toMatch(/^deadLettered\s+2$/m);
    expect(table).toMatch(new RegExp(`^deadLetterTopic\\s+${topic}\\.dlq$`, "m"));
    expect(table).toMatch(/^partition\s+high watermark\s+committed\s+backlog\s+inFlight\s+delayed/m);
    expect(table).toMatch(/^0\s+3\s+3\s+0\s+0\s+0\s+0\s+0\s+1\s+2$/m);

    const first = await tributary(["queue", "redrive", group, "-n", "1", "--json"]);
    expect(JSON.parse(first.stdout)).toMatchObject({ redriven: 1, remaining: 1 });
    const second = await tributary(["queue", "redrive", group]);
    expect(second.stdout).toMatch(new RegExp(`^${group}\\s+1\\s+0$`, "m"));
    const after = JSON.parse((await tributary(["queue", "stats", group, "--json"])).stdout);
    expect(after).toMatchObject({ backlog: 2, redriven: 2, deadLetterRemaining: 0 });

    expect(oneLineError(await tributary(["queue", "stats", unique("not-a-group")]))).toMatch(
      /^tributary: GROUP_ID_NOT_FOUND: /,
    );
    expect(oneLineError(await tributary(["queue", "redrive", group, "-n", "0"]))).toMatch(
      /^tributary: USAGE: option '-n, --max-records <n>' argument '0' is invalid/,
    );
    await tributary(["topic", "delete", topic, `${topic}.dlq`]);
  });
});
