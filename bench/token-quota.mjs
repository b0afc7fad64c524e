// What scoped tokens add to a produce: the same one-record produce, one request at a time, with a
// superuser token (TRIBUTARY_TOKENS), a scoped token (looked up by hash, cached per isolate) and a
// scoped token with a produce quota (one call to its TokenQuota object per produce). The three
// kinds take turns request by request, so they share the machine's ups and downs.
//
//   node bench/token-quota.mjs [--requests 500]
//
// It starts its own `wrangler dev` of the platform (test/helpers/local-worker.mjs) and prints a
// markdown table of latencies (ms) per kind, and the difference of the medians.
import { startLocalWorker } from "../test/helpers/local-worker.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const REQUESTS = arg("requests", 500);
const WARMUP = 50;

const worker = await startLocalWorker();
try {
  const root = { authorization: `Bearer ${worker.token}`, "content-type": "application/json" };
  const call = async (method, path, body, headers = root) => {
    const res = await fetch(`${worker.url}${path}`, { method, headers, body: body && JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const topic = `bench-tokens-${Date.now().toString(36)}`;
  await call("POST", "/v1/topics", { name: topic, partitions: 1, replicationFactor: 1 });
  const acls = [{ resource: "topic", pattern: topic, operations: ["write"] }];
  const scoped = await call("POST", "/v1/tokens", { name: "bench scoped", acls });
  // A quota far above what one connection sends: every produce is counted, none is refused.
  const quota = { recordsPerSecond: 1_000_000, bytesPerSecond: 1_000_000_000 };
  const quoted = await call("POST", "/v1/tokens", { name: "bench quota", acls, quota });
  const kinds = [
    ["superuser", worker.token],
    ["scoped token", scoped.token],
    ["scoped token with a quota", quoted.token],
  ];
  const times = new Map(kinds.map(([k]) => [k, []]));
  const body = JSON.stringify({ records: [{ value: { n: 1, data: "x".repeat(64) } }] });
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    for (const [kind, token] of kinds) {
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const start = performance.now();
      const res = await fetch(`${worker.url}/v1/topics/${topic}/records`, { method: "POST", headers, body });
      await res.text();
      const ms = performance.now() - start;
      if (res.status !== 200) throw new Error(`${kind}: produce answered ${res.status}`);
      if (i >= WARMUP) times.get(kind).push(ms);
    }
  }
  const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  const rows = kinds.map(([kind]) => {
    const t = [...times.get(kind)].sort((a, b) => a - b);
    return { kind, p50: pct(t, 50), p90: pct(t, 90), p99: pct(t, 99), mean: t.reduce((a, b) => a + b, 0) / t.length };
  });
  const f = (n) => n.toFixed(2);
  console.log(`${REQUESTS} one-record produces per kind, one at a time, ${new Date().toISOString()}\n`);
  console.log("| token | p50 ms | p90 ms | p99 ms | mean ms | p50 − superuser's |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.kind} | ${f(r.p50)} | ${f(r.p90)} | ${f(r.p99)} | ${f(r.mean)} | ${f(r.p50 - rows[0].p50)} |`);
  }
} finally {
  await worker.stop();
}
