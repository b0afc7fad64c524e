// The Redis Streams peer: a private redis-server on a free loopback port, AOF with fsync every
// second, in a temporary directory. Skipped (with a note) when redis-server is not installed.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childStopper, freePort } from "../test/helpers/local-worker.mjs";
import { connectResp, encodeCommand, RespError } from "./resp.mjs";

/** @returns {string | null} the redis-server version, or null when it is not on PATH */
export function redisVersion() {
  const found = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (found.error || found.status !== 0) return null;
  return /v=(\S+)/.exec(found.stdout)?.[1] ?? "unknown";
}

export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tributary-bench-redis-"));
  const child = spawn(
    "redis-server",
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
      "--protected-mode",
      "yes",
      "--daemonize",
      "no",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const { stop, exited } = childStopper(child, dir);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`redis-server exited at start:\n${output}`);
    try {
      const client = await connectResp(port);
      const [pong] = await client.pipeline([["PING"]]);
      if (pong === "PONG") return { client, stop };
      client.close();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`redis-server did not answer within 10 s:\n${output}`);
}

function check(/** @type {unknown[]} */ answers) {
  const bad = answers.find((a) => a instanceof RespError);
  if (bad) throw new Error(`Redis answered an error: ${/** @type {Error} */ (bad).message}`);
}

/**
 * XADD of `batch` entries per pipelined write, one connection, for `durationMs` or `maxRecords`.
 * Each entry has one field, `record`, holding the same JSON text Tributary gets.
 * @param {{ send: (payload: Buffer, count: number) => Promise<unknown[]> }} client
 * @param {{ stream: string, records: string[], durationMs: number, maxRecords: number }} o
 */
export async function xaddRate(client, o) {
  const payload = Buffer.from(o.records.map((r) => encodeCommand(["XADD", o.stream, "*", "record", r])).join(""));
  const start = performance.now();
  let records = 0;
  while (performance.now() - start < o.durationMs && records < o.maxRecords) {
    check(await client.send(payload, o.records.length));
    records += o.records.length;
  }
  return { records, elapsedMs: performance.now() - start };
}

/**
 * XRANGE pages of `count` entries, walking the stream from its start (wrapping at its end).
 * @param {{ pipeline: (c: (string | number)[][]) => Promise<unknown[]> }} client
 * @param {{ stream: string, count: number, durationMs: number, maxRecords: number }} o
 */
export async function xrangeRate(client, o) {
  const start = performance.now();
  let records = 0;
  let from = "-";
  while (performance.now() - start < o.durationMs && records < o.maxRecords) {
    const [page] = await client.pipeline([["XRANGE", o.stream, from, "+", "COUNT", o.count]]);
    check([page]);
    const entries = /** @type {[string, string[]][]} */ (page);
    if (entries.length === 0 && from === "-") throw new Error(`stream ${o.stream} is empty`);
    records += entries.length;
    // Past the last entry: start over from the first.
    from = entries.length < o.count ? "-" : `(${entries[entries.length - 1][0]}`;
  }
  return { records, elapsedMs: performance.now() - start };
}
