// The route sweep: every route the worker serves, called with no token, a revoked one, an
// expired one (401 each), a token with rights only on other names (403 with Kafka's code) and
// a write-only token (it produces to its topic and does nothing else) — and, each time, the
// fixtures are checked unchanged. A route added without a case here fails the coverage test.

import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { StreamApps } from "../../cluster/stream-apps.ts";
import { TimeWindows } from "../../sdk/streams/index.ts";
import { createApp } from "../../worker/app.ts";
import { call, createTopic, uniqueName, waitFor } from "../helpers/http.ts";
import { registerApp } from "./stream-apps-fixtures.ts";
import { type Issued, issueToken, requestAs } from "./token-helpers.ts";

type Denial = "TOPIC_AUTHORIZATION_FAILED" | "GROUP_AUTHORIZATION_FAILED" | "CLUSTER_AUTHORIZATION_FAILED";

interface Case {
  /** The routes (as the app declares them) this request exercises. */
  routes: string[];
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** What a token without the right gets; none for routes any valid token may call. */
  denied?: Denial;
  /** What any valid token gets on a route that needs no right. */
  status?: number;
}

interface Fixture {
  topic: string;
  other: string;
  group: string;
  queue: string;
  receipt: string;
  stream: string;
  app: string;
  appSource: string;
  newTopic: string;
  newToken: string;
  writeOnly: Issued;
}

const TOPIC: Denial = "TOPIC_AUTHORIZATION_FAILED";
const GROUP: Denial = "GROUP_AUTHORIZATION_FAILED";
const CLUSTER: Denial = "CLUSTER_AUTHORIZATION_FAILED";

function cases(f: Fixture): Case[] {
  const t = f.topic;
  const g = f.group;
  const member = "m-1";
  const classic = { memberId: member, generation: 1 };
  return [
    {
      routes: ["POST /v1/tokens"],
      method: "POST",
      path: "/v1/tokens",
      body: { name: f.newToken, acls: [] },
      denied: CLUSTER,
    },
    { routes: ["GET /v1/tokens"], method: "GET", path: "/v1/tokens", denied: CLUSTER },
    { routes: ["DELETE /v1/tokens/:id"], method: "DELETE", path: `/v1/tokens/${f.writeOnly.id}`, denied: CLUSTER },
    { routes: ["GET /v1/token"], method: "GET", path: "/v1/token", status: 200 },
    {
      routes: ["POST /v1/topics"],
      method: "POST",
      path: "/v1/topics",
      body: { name: f.newTopic, replicationFactor: 1 },
      denied: TOPIC,
    },
    { routes: ["GET /v1/topics"], method: "GET", path: "/v1/topics", status: 200 },
    { routes: ["GET /v1/topics/:topic"], method: "GET", path: `/v1/topics/${t}`, denied: TOPIC },
    {
      routes: ["PATCH /v1/topics/:topic"],
      method: "PATCH",
      path: `/v1/topics/${t}`,
      body: { partitions: 4 },
      denied: TOPIC,
    },
    { routes: ["DELETE /v1/topics/:topic"], method: "DELETE", path: `/v1/topics/${t}`, denied: TOPIC },
    {
      routes: ["POST /v1/topics/:topic/records"],
      method: "POST",
      path: `/v1/topics/${t}/records`,
      body: { records: [{ value: 1 }] },
      denied: TOPIC,
    },
    {
      routes: ["POST /v1/topics/:topic/partitions/:partition/records"],
      method: "POST",
      path: `/v1/topics/${t}/partitions/0/records`,
      body: { records: [{ value: 2 }] },
      denied: TOPIC,
    },
    {
      routes: ["GET /v1/topics/:topic/partitions/:partition/records"],
      method: "GET",
      path: `/v1/topics/${t}/partitions/0/records?offset=0`,
      denied: TOPIC,
    },
    {
      routes: ["GET /v1/topics/:topic/partitions/:partition/subscribe"],
      method: "GET",
      path: `/v1/topics/${t}/partitions/0/subscribe?offset=earliest`,
      headers: { accept: "text/event-stream" },
      denied: TOPIC,
    },
    {
      routes: ["GET /v1/topics/:topic/partitions/:partition/offsets"],
      method: "GET",
      path: `/v1/topics/${t}/partitions/0/offsets?at=latest`,
      denied: TOPIC,
    },
    {
      routes: ["POST /v1/topics/:topic/partitions/:partition/delete-records"],
      method: "POST",
      path: `/v1/topics/${t}/partitions/0/delete-records`,
      body: { beforeOffset: 1 },
      denied: TOPIC,
    },
    { routes: ["POST /v1/producers"], method: "POST", path: "/v1/producers", body: {}, denied: CLUSTER },
    { routes: ["GET /v1/groups"], method: "GET", path: "/v1/groups", status: 200 },
    { routes: ["GET /v1/groups/:group"], method: "GET", path: `/v1/groups/${g}`, denied: GROUP },
    { routes: ["DELETE /v1/groups/:group"], method: "DELETE", path: `/v1/groups/${g}`, denied: GROUP },
    {
      routes: ["POST /v1/groups/:group/classic/join"],
      method: "POST",
      path: `/v1/groups/${g}/classic/join`,
      body: {
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: "AA==" }],
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
      },
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/classic/sync"],
      method: "POST",
      path: `/v1/groups/${g}/classic/sync`,
      body: classic,
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/classic/heartbeat"],
      method: "POST",
      path: `/v1/groups/${g}/classic/heartbeat`,
      body: classic,
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/classic/leave"],
      method: "POST",
      path: `/v1/groups/${g}/classic/leave`,
      body: { members: [{ memberId: member }] },
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/members"],
      method: "POST",
      path: `/v1/groups/${g}/members`,
      body: { topics: [t] },
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/members/:member/heartbeat"],
      method: "POST",
      path: `/v1/groups/${g}/members/${member}/heartbeat`,
      body: { generation: 1 },
      denied: GROUP,
    },
    {
      routes: ["DELETE /v1/groups/:group/members/:member"],
      method: "DELETE",
      path: `/v1/groups/${g}/members/${member}`,
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/offsets"],
      method: "POST",
      path: `/v1/groups/${g}/offsets`,
      body: { offsets: [{ topic: t, partition: 0, offset: 0 }] },
      denied: GROUP,
    },
    { routes: ["GET /v1/groups/:group/offsets"], method: "GET", path: `/v1/groups/${g}/offsets`, denied: GROUP },
    {
      routes: ["POST /v1/groups/:group/offsets/reset"],
      method: "POST",
      path: `/v1/groups/${g}/offsets/reset`,
      body: { topic: t, to: "earliest" },
      denied: GROUP,
    },
    {
      routes: ["PUT /v1/groups/:group/queue"],
      method: "PUT",
      path: `/v1/groups/${f.queue}/queue`,
      body: { topic: t, maxDeliveries: 9 },
      denied: GROUP,
    },
    {
      routes: ["GET /v1/groups/:group/queue"],
      method: "GET",
      path: `/v1/groups/${f.queue}/queue`,
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/queue/redrive"],
      method: "POST",
      path: `/v1/groups/${f.queue}/queue/redrive`,
      body: {},
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/receive"],
      method: "POST",
      path: `/v1/groups/${f.queue}/receive`,
      body: { topic: t },
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/ack"],
      method: "POST",
      path: `/v1/groups/${f.queue}/ack`,
      body: { receipts: [f.receipt] },
      denied: GROUP,
    },
    {
      routes: ["POST /v1/groups/:group/nack"],
      method: "POST",
      path: `/v1/groups/${f.queue}/nack`,
      body: { receipts: [f.receipt] },
      denied: GROUP,
    },
    { routes: ["GET /metrics"], method: "GET", path: "/metrics", denied: CLUSTER },
    { routes: ["GET /v1/metrics"], method: "GET", path: "/v1/metrics", denied: CLUSTER },
    { routes: ["GET /v1/apps"], method: "GET", path: "/v1/apps", status: 200 },
    { routes: ["GET /v1/apps/:app"], method: "GET", path: `/v1/apps/${f.app}`, denied: TOPIC },
    { routes: ["POST /v1/apps/:app/start"], method: "POST", path: `/v1/apps/${f.app}/start`, denied: TOPIC },
    {
      routes: ["GET /v1/apps/:app/stores/:store"],
      method: "GET",
      path: `/v1/apps/${f.app}/stores/per-second`,
      denied: TOPIC,
    },
    {
      routes: ["POST /v1/_test/faults"],
      method: "POST",
      path: "/v1/_test/faults",
      body: { topic: t, partition: 0, replica: 0, unavailable: true },
      denied: CLUSTER,
    },
    { routes: ["GET /v1/_test/meter"], method: "GET", path: "/v1/_test/meter", denied: CLUSTER },
    { routes: ["POST /v1/_test/meter/reset"], method: "POST", path: "/v1/_test/meter/reset", denied: CLUSTER },
    // The Durable Streams protocol: each method is an operation on the stream's topic.
    {
      routes: ["ALL /ds/*"],
      method: "PUT",
      path: `${f.stream}-new`,
      headers: { "content-type": "text/plain" },
      denied: TOPIC,
    },
    {
      routes: ["ALL /ds/*"],
      method: "POST",
      path: f.stream,
      body: "more",
      headers: { "content-type": "text/plain" },
      denied: TOPIC,
    },
    { routes: ["ALL /ds/*"], method: "GET", path: `${f.stream}?offset=-1`, denied: TOPIC },
    { routes: ["ALL /ds/*"], method: "HEAD", path: f.stream, denied: TOPIC },
    { routes: ["ALL /ds/*"], method: "DELETE", path: f.stream, denied: TOPIC },
    // The Upstash Kafka REST API (Basic auth); a GET and a POST route share each handler.
    {
      routes: ["POST /upstash/produce"],
      method: "POST",
      path: "/upstash/produce",
      body: { topic: t, value: "u" },
      denied: TOPIC,
    },
    {
      routes: ["GET /upstash/produce/:topic/:message", "POST /upstash/produce/:topic/:message"],
      method: "POST",
      path: `/upstash/produce/${t}/hello`,
      denied: TOPIC,
    },
    {
      routes: ["GET /upstash/fetch", "POST /upstash/fetch"],
      method: "POST",
      path: "/upstash/fetch",
      body: { topic: t, partition: 0, offset: 0 },
      denied: TOPIC,
    },
    {
      routes: ["GET /upstash/consume/:group/:instance", "POST /upstash/consume/:group/:instance"],
      method: "POST",
      path: `/upstash/consume/${g}/i-1`,
      body: { topics: [t], timeout: 0 },
      denied: GROUP,
    },
    {
      routes: ["GET /upstash/consume/:group/:instance/:topic", "POST /upstash/consume/:group/:instance/:topic"],
      method: "POST",
      path: `/upstash/consume/${g}/i-1/${t}`,
      denied: GROUP,
    },
    {
      routes: ["GET /upstash/commit/:group/:instance", "POST /upstash/commit/:group/:instance"],
      method: "POST",
      path: `/upstash/commit/${g}/i-1`,
      body: { topic: t, partition: 0, offset: 0 },
      denied: GROUP,
    },
    {
      routes: ["GET /upstash/committed/:group/:instance", "POST /upstash/committed/:group/:instance"],
      method: "POST",
      path: `/upstash/committed/${g}/i-1`,
      body: { topic: t, partition: 0 },
      denied: GROUP,
    },
    {
      routes: ["GET /upstash/offsets/:time", "POST /upstash/offsets/:time"],
      method: "POST",
      path: "/upstash/offsets/latest",
      body: { topic: t, partition: 0 },
      denied: TOPIC,
    },
    { routes: ["GET /upstash/topics"], method: "GET", path: "/upstash/topics", status: 200 },
    { routes: ["GET /upstash/consumers"], method: "GET", path: "/upstash/consumers", status: 200 },
    {
      routes: [
        "GET /upstash/delete-consumer/:group/:instance",
        "POST /upstash/delete-consumer/:group/:instance",
        "DELETE /upstash/delete-consumer/:group/:instance",
      ],
      method: "POST",
      path: `/upstash/delete-consumer/${g}/i-1`,
      denied: GROUP,
    },
    { routes: ["ALL /upstash/*"], method: "GET", path: "/upstash/nowhere", status: 404 },
  ];
}

/**
 * Routes that are not the API's: the health check, CORS preflights, the middleware of each layer,
 * and the console's static page (no data; its API calls carry the token).
 */
const NOT_SWEPT = new Set([
  "GET /healthz",
  "OPTIONS /ds/*",
  "ALL /v1/*",
  "ALL /*",
  "ALL /metrics",
  "GET /console",
  "GET /console/*",
]);

/** What the fixtures look like to a superuser: anything a sweep could have changed. */
async function snapshot(f: Fixture) {
  const topic = await call("GET", `/v1/topics/${f.topic}`);
  const other = await call("GET", `/v1/topics/${f.other}`);
  const group = await call("GET", `/v1/groups/${f.group}`);
  const offsets = await call("GET", `/v1/groups/${f.group}/offsets`);
  const stream = await requestAs("test-token", "HEAD", f.stream);
  const tokens = await call("GET", "/v1/tokens");
  return {
    topic: {
      status: topic.status,
      partitions: topic.json.partitions.map((p: { highWatermark: number }) => p.highWatermark),
      config: topic.json.config,
    },
    other: other.json.partitions.map((p: { highWatermark: number }) => p.highWatermark),
    newTopic: (await call("GET", `/v1/topics/${f.newTopic}`)).status,
    newStream: (await requestAs("test-token", "HEAD", `${f.stream}-new`)).status,
    group: { members: group.json.members.length, state: group.json.state },
    offsets: offsets.json.offsets.map((o: { committed: number | null }) => o.committed),
    stream: { status: stream.status, next: stream.headers.get("stream-next-offset") },
    tokens: {
      writeOnly: tokens.json.tokens.some((t: { id: string }) => t.id === f.writeOnly.id),
      made: tokens.json.tokens.some((t: { name: string }) => t.name === f.newToken),
    },
  };
}

let f: Fixture;
let all: Case[];
let unrelated: Issued;
let revoked: Issued;
let expired: Issued;

beforeAll(async () => {
  const topic = await createTopic(2);
  const other = await createTopic(1);
  for (const p of [0, 1]) {
    await call("POST", `/v1/topics/${topic}/partitions/${p}/records`, { records: [{ value: "a" }, { value: "b" }] });
  }
  const group = uniqueName("g");
  await call("POST", `/v1/groups/${group}/offsets`, { offsets: [{ topic, partition: 0, offset: 1 }] });
  const queue = uniqueName("q");
  await call("PUT", `/v1/groups/${queue}/queue`, { topic });
  const received = await call("POST", `/v1/groups/${queue}/receive`, { topic, maxRecords: 1 });
  const stream = `/ds/sweep/${uniqueName("s")}`;
  const created = await requestAs("test-token", "PUT", stream, "hello", { "content-type": "text/plain" });
  if (created.status !== 201) throw new Error(`creating the stream failed: ${created.status}`);
  const { app, source } = await registerApp(1, (a, s, out) => {
    a.stream(s, { key: z.string(), value: z.unknown() })
      .groupByKey()
      .windowedBy(TimeWindows.of(1000))
      .count({ name: "per-second" })
      .toStream()
      .to(out);
  });
  f = {
    topic,
    other,
    group,
    queue,
    receipt: received.json.records[0].receipt,
    stream,
    app: app.name,
    appSource: source,
    newTopic: uniqueName("never"),
    newToken: uniqueName("never-token"),
    writeOnly: await issueToken({ acls: [{ resource: "topic", pattern: topic, operations: ["write"] }] }, "write-only"),
  };
  all = cases(f);
  // Rights on other names only: the sweep's requests must fail on the name, not for want of any ACL.
  unrelated = await issueToken({
    acls: [
      { resource: "topic", pattern: "unrelated.*", operations: ["read", "describe", "alter", "delete", "create"] },
      { resource: "group", pattern: "unrelated.*", operations: ["read", "describe", "alter", "delete"] },
    ],
  });
  revoked = await issueToken({ acls: [{ resource: "topic", pattern: "*", operations: ["write", "read"] }] });
  await call("DELETE", `/v1/tokens/${revoked.id}`);
  expired = await issueToken({
    acls: [{ resource: "topic", pattern: "*", operations: ["write", "read"] }],
    expiresAt: Date.now() + 200,
  });
  await waitFor(async () => (await requestAs(expired.token, "GET", "/v1/token")).status === 401, 5_000, "expiry");
});

const send = (token: string | undefined, c: Case) => requestAs(token, c.method, c.path, c.body, c.headers);
const label = (c: Case) => `${c.method} ${c.path}`;

describe("the route sweep", () => {
  it("has a case for every route the worker serves", () => {
    const served = new Set(createApp(new StreamApps([])).routes.map((r) => `${r.method} ${r.path}`));
    const swept = new Set(all.flatMap((c) => c.routes));
    expect([...served].filter((r) => !NOT_SWEPT.has(r) && !swept.has(r))).toEqual([]);
    expect([...swept].filter((r) => !served.has(r))).toEqual([]);
  });

  for (const [what, token] of [
    ["no token", () => undefined],
    ["a revoked token", () => revoked.token],
    ["an expired token", () => expired.token],
  ] as const) {
    it(`answers 401 to ${what} on every route, changing nothing`, async () => {
      const before = await snapshot(f);
      const wrong: string[] = [];
      for (const c of all) {
        const answer = await send(token(), c);
        const code = c.method === "HEAD" ? "UNAUTHENTICATED" : answer.code;
        if (answer.status !== 401 || code !== "UNAUTHENTICATED")
          wrong.push(`${label(c)}: ${answer.status} ${answer.code}`);
      }
      expect(wrong).toEqual([]);
      expect(await snapshot(f)).toEqual(before);
    });
  }

  it("answers 403 with Kafka's code to a token with rights on other names only, changing nothing", async () => {
    const before = await snapshot(f);
    const wrong: string[] = [];
    for (const c of all) {
      const answer = await send(unrelated.token, c);
      const expected = c.denied ? 403 : c.status;
      const code = c.method === "HEAD" ? c.denied : answer.code;
      if (answer.status !== expected || (c.denied && code !== c.denied)) {
        wrong.push(`${label(c)}: ${answer.status} ${answer.code}, expected ${expected} ${c.denied ?? ""}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot(f)).toEqual(before);
  });

  it("shows a token only the topics, groups and apps it may describe", async () => {
    const topics = await requestAs(unrelated.token, "GET", "/v1/topics");
    expect(topics.json.topics.map((t: { name: string }) => t.name)).not.toContain(f.topic);
    expect((await requestAs(unrelated.token, "GET", "/v1/groups")).json.groups).toEqual([]);
    expect((await requestAs(unrelated.token, "GET", "/v1/apps")).json.apps).toEqual([]);
    expect(Object.keys((await requestAs(unrelated.token, "GET", "/upstash/topics")).json)).not.toContain(f.topic);
    const mine = await requestAs(f.writeOnly.token, "GET", "/v1/topics");
    expect(mine.json.topics.map((t: { name: string }) => t.name)).toEqual([f.topic]);
  });

  it("lets a write-only token produce to its topic, see its partitions, and do nothing else", async () => {
    // Writing implies describing (Kafka's rule): the SDK reads the partition count to partition.
    const allowed = new Map([
      ["POST /v1/topics/:topic/records", 200],
      ["POST /v1/topics/:topic/partitions/:partition/records", 200],
      ["POST /upstash/produce", 200],
      ["POST /upstash/produce/:topic/:message", 200],
      ["GET /v1/topics/:topic", 200],
      ["GET /v1/topics/:topic/partitions/:partition/offsets", 200],
      ["POST /upstash/offsets/:time", 200],
      ["POST /v1/producers", 200],
    ]);
    const before = await snapshot(f);
    const wrong: string[] = [];
    for (const c of all) {
      const answer = await send(f.writeOnly.token, c);
      const key = c.routes.find((r) => allowed.has(r));
      const expected = key ? allowed.get(key) : c.denied ? 403 : c.status;
      const code = c.method === "HEAD" ? c.denied : answer.code;
      if (answer.status !== expected || (!key && c.denied && code !== c.denied)) {
        wrong.push(`${label(c)}: ${answer.status} ${answer.code}, expected ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
    const after = await snapshot(f);
    // Four produces of one record each, and nothing else.
    const sum = (hw: number[]) => hw.reduce((a, b) => a + b, 0);
    expect(sum(after.topic.partitions) - sum(before.topic.partitions)).toBe(4);
    expect({ ...after, topic: { ...after.topic, partitions: [] } }).toEqual({
      ...before,
      topic: { ...before.topic, partitions: [] },
    });
    const elsewhere = await requestAs(f.writeOnly.token, "POST", `/v1/topics/${f.other}/records`, {
      records: [{ value: 1 }],
    });
    expect(elsewhere).toMatchObject({ status: 403, code: TOPIC });
    expect(elsewhere.json.error).toMatchObject({ topic: f.other, operation: "write" });
  });
});
