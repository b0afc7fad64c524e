// The split bench's two `wrangler dev` processes (bench/README.md, "Split mode"): the objects'
// worker (objects.wrangler.toml: every Durable Object, with the ad-click example's stream app)
// and the front worker (front.wrangler.toml: the HTTP API and the example's routes, its objects
// bound by script_name). They find each other through a wrangler dev registry of their own (a
// temporary WRANGLER_REGISTRY_PATH), so other `wrangler dev` sessions on the machine cannot
// answer for them. Before it returns, startSplitWorkers checks what the split is meant to be:
// each process runs its own workerd, and a record produced through the front is stored in the
// objects' process (read back through the objects' worker's own port).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startLocalWorker } from "../../test/helpers/local-worker.mjs";

/** A key the split front may sign impressions with (the ad-click redirect row). */
export const SPLIT_SIGNING_KEY = "bench-only-split-ad-clicks-signing-key";
/** How long the front may take to reach its objects after both are up. */
const CONNECT_MS = 30_000;
/** How long the workerd processes may take to end after their wrangler has. */
const STOP_MS = 10_000;

/** Whether a process is still there. */
export function alive(/** @type {number} */ pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of the workerd processes under `root` (the wrangler process), from `ps`. */
export function workerdUnder(/** @type {number} */ root) {
  const table = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm }));
  const under = new Set([root]);
  // Children are listed after parents only usually, so a few passes (the tree is 2 or 3 deep).
  for (let pass = 0; pass < 5; pass++) for (const p of table) if (under.has(p.ppid)) under.add(p.pid);
  return table.filter((p) => under.has(p.pid) && p.comm === "workerd").map((p) => p.pid);
}

/** CPU seconds (user + system) the processes have used so far, from /proc (0 for one gone). */
export function cpuSeconds(/** @type {number[]} */ pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields 14 and 15 (utime, stime) after the command in parentheses; 100 ticks a second.
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/**
 * @param {string} url @param {string} token @param {string} method @param {string} path @param {unknown} [body]
 */
async function call(url, token, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Starts both processes (objects first), waits until the front reaches its objects, and checks
 * the split with one produce and fetch. `stop` ends both (front first) and removes the registry.
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function startSplitWorkers(options = {}) {
  const registry = mkdtempSync(join(tmpdir(), "tributary-split-registry-"));
  const env = { WRANGLER_REGISTRY_PATH: registry };
  /** @type {(() => Promise<void>)[]} */
  const stops = [];
  /** The workerd processes under the two wrangler processes, once known. @type {number[]} */
  let workerd = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
    // wrangler ends its workerd as it exits, without waiting for them: wait (at most 10 s), then
    // end any left by id.
    const deadline = Date.now() + STOP_MS;
    while (workerd.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of workerd.filter(alive)) process.kill(pid, "SIGKILL");
    rmSync(registry, { recursive: true, force: true });
  };
  try {
    const objects = await startLocalWorker({
      frozen: true,
      config: join(ROOT, "bench/split/objects.wrangler.toml"),
      vars: { TRIBUTARY_TOKENS: "dev-token" },
      env,
    });
    stops.push(objects.stop);
    const front = await startLocalWorker({
      frozen: true,
      config: join(ROOT, "bench/split/front.wrangler.toml"),
      vars: { TRIBUTARY_TOKENS: "dev-token", AD_CLICKS_SIGNING_KEY: SPLIT_SIGNING_KEY },
      env,
    });
    stops.push(front.stop);
    const token = front.token;

    // The front answers /healthz on its own; a topic list needs the Controller, in the objects.
    const deadline = Date.now() + CONNECT_MS;
    for (;;) {
      const r = await call(front.url, token, "GET", "/v1/topics").catch((err) => ({ status: 0, body: String(err) }));
      if (r.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(`the front worker did not reach its objects: ${r.status} ${JSON.stringify(r.body)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const check = await checkSplit(front.url, objects.url, token);
    const processes = { front: workerdUnder(front.pid), objects: workerdUnder(objects.pid) };
    workerd = [...processes.front, ...processes.objects];
    const shared = processes.front.filter((p) => processes.objects.includes(p));
    if (!processes.front.length || !processes.objects.length || shared.length)
      throw new Error(`expected a workerd of its own under each wrangler dev, got ${JSON.stringify(processes)}`);
    options.log?.(
      `split: front ${front.url} (wrangler ${front.pid}, workerd ${processes.front.join(" ")}), ` +
        `objects ${objects.url} (wrangler ${objects.pid}, workerd ${processes.objects.join(" ")}); ${check}`,
    );
    /** CPU seconds used so far by each side's workerd processes. */
    const cpu = () => ({ front: cpuSeconds(processes.front), objects: cpuSeconds(processes.objects) });
    const output = { front: front.output, objects: objects.output };
    return {
      url: front.url,
      objectsUrl: objects.url,
      token,
      signingKey: SPLIT_SIGNING_KEY,
      processes,
      cpu,
      output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Produces two records through the front, fetches them through the front, and reads the
 * partition's high watermark through the objects' own worker: the log is in that process.
 * @param {string} frontUrl @param {string} objectsUrl @param {string} token
 */
export async function checkSplit(frontUrl, objectsUrl, token) {
  const name = `split-check-${Math.random().toString(36).slice(2, 8)}`;
  const created = await call(frontUrl, token, "POST", "/v1/topics", { name, partitions: 1, replicationFactor: 1 });
  if (created.status !== 201 && created.status !== 200)
    throw new Error(`split check: creating ${name} answered ${created.status} ${JSON.stringify(created.body)}`);
  const records = [{ value: { n: 1 } }, { value: { n: 2 } }];
  const produced = await call(frontUrl, token, "POST", `/v1/topics/${name}/partitions/0/records`, { records });
  if (produced.status !== 200)
    throw new Error(`split check: produce answered ${produced.status} ${JSON.stringify(produced.body)}`);
  const fetched = await call(frontUrl, token, "GET", `/v1/topics/${name}/partitions/0/records?offset=0`);
  const values = fetched.body?.records?.map((/** @type {{ value: unknown }} */ r) => r.value);
  if (JSON.stringify(values) !== JSON.stringify(records.map((r) => r.value)))
    throw new Error(`split check: fetch answered ${fetched.status} ${JSON.stringify(fetched.body)}`);
  const seen = await call(objectsUrl, token, "GET", `/v1/topics/${name}`);
  const hw = seen.body?.partitions?.[0]?.highWatermark;
  if (hw !== 2) throw new Error(`split check: the objects' worker sees high watermark ${hw}, not 2`);
  await call(frontUrl, token, "DELETE", `/v1/topics/${name}`);
  return "produce and fetch through the front, the records stored in the objects' process";
}
