// Starts the real worker with `wrangler dev` (workerd, SQLite Durable Objects) on a free
// loopback port, for end-to-end tests and the benchmark. Plain JavaScript so that both the
// TypeScript tests and `node bench/run.mjs` can use it.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The token .dev.vars sets for local use. */
export const DEV_TOKEN = "dev-token";

/**
 * How to stop a server this process started: SIGTERM, SIGKILL after 5 s, then remove its data
 * directory. `exited()` tells whether it already ended on its own.
 * @param {import("node:child_process").ChildProcess} child @param {string} dir
 */
export function childStopper(child, dir) {
  let ended = child.exitCode !== null;
  child.on("exit", () => {
    ended = true;
  });
  const stop = async () => {
    if (!ended) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { stop, exited: () => ended };
}

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * `env` adds to the child's environment (the split bench gives its two processes a dev registry
 * of their own with WRANGLER_REGISTRY_PATH); `pid` is the wrangler process's. `frozen` bundles
 * the worker once beforehand (`wrangler deploy --dry-run`) and serves that bundle with
 * `no_bundle`: `wrangler dev` otherwise rebuilds and restarts the worker whenever a file it
 * bundled changes — in node_modules too, which other work on a shared machine may rewrite —
 * failing the requests in flight; the benchmark's workers are frozen.
 * @param {{ config?: string, vars?: Record<string, string>, env?: Record<string, string>, timeoutMs?: number, log?: boolean, frozen?: boolean }} [options]
 * @returns {Promise<{ url: string, token: string, inspectorPort: number, pid: number, stop: () => Promise<void>, output: () => string }>}
 */
export async function startLocalWorker(options = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistDir = mkdtempSync(join(tmpdir(), "tributary-"));
  const config = options.frozen
    ? frozenConfig(options.config ?? join(ROOT, "wrangler.toml"), join(persistDir, "bundle"))
    : (options.config ?? join(ROOT, "wrangler.toml"));
  const args = [
    join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--config",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistDir,
    "--show-interactive-dev-session=false",
    "--log-level",
    options.log ? "info" : "warn",
  ];
  for (const [k, v] of Object.entries(options.vars ?? {})) args.push("--var", `${k}:${v}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", ...options.env },
  });
  let output = "";
  const collect = (/** @type {Buffer} */ chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
    if (options.log) process.stderr.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const { stop, exited } = childStopper(child, persistDir);
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`wrangler dev exited before it was ready:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return { url, token: DEV_TOKEN, inspectorPort, pid: child.pid ?? 0, stop, output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`wrangler dev did not answer /healthz within the deadline:\n${output}`);
}

/**
 * Bundles the worker of `config` into `dir` (`wrangler deploy --dry-run --outdir`) and writes
 * beside it a copy of the config whose `main` is that bundle, with `no_bundle = true`, without its
 * `[build]` step (the dry run ran it) and with its assets' directory made absolute; returns the
 * copy's path. The configs this is used with have no other relative paths.
 * @param {string} config @param {string} dir
 */
function frozenConfig(config, dir) {
  mkdirSync(dir, { recursive: true });
  execFileSync(
    process.execPath,
    [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dir, "--config", config],
    { cwd: ROOT, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } },
  );
  const bundle = readdirSync(dir).find((f) => f.endsWith(".js"));
  if (!bundle) throw new Error(`wrangler deploy --dry-run wrote no bundle for ${config}`);
  const text = readFileSync(config, "utf8");
  if (!/^main = .*$/m.test(text)) throw new Error(`${config} has no main line to point at the bundle`);
  const copy = join(dir, "wrangler.toml");
  const frozen = text
    .replace(/^main = .*$/m, `main = "${bundle}"\nno_bundle = true`)
    // The dry run has run the [build] step already; the assets' directory stays where it is.
    .replace(/^\[build\]\n(?:(?!\[).*\n)*/m, "")
    .replace(/^directory = "(.+)"$/m, (_, d) => `directory = ${JSON.stringify(resolve(dirname(config), d))}`);
  writeFileSync(copy, frozen);
  return copy;
}
