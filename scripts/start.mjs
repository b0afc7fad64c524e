#!/usr/bin/env node
// `npm start`: the platform locally (wrangler dev, SQLite Durable Objects, state kept in
// .wrangler/state) on http://127.0.0.1:8787, and a Kafka gateway in front of it on
// 127.0.0.1:9092 (so `kcat -b 127.0.0.1:9092 -L` works). Ctrl-C stops both. Extra arguments go
// to wrangler dev (e.g. `npm start -- --var TRIBUTARY_FAULTS:1`).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const URL = "http://127.0.0.1:8787";
const children = [];

function run(args, name) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit" });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`${name} stopped (${signal ?? `exit ${code}`}); stopping the rest`);
    stop(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500).unref();
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

run(
  [
    join(root, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    "8787",
    "--persist-to",
    ".wrangler/state",
    ...process.argv.slice(2),
  ],
  "wrangler dev",
);

// The gateway starts once the worker answers, so its first clients find it serving.
for (let i = 0; !stopping; i++) {
  try {
    if ((await fetch(`${URL}/healthz`)).ok) break;
  } catch {
    // not up yet
  }
  if (i === 600) {
    console.error("wrangler dev did not come up within a minute");
    stop(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
if (!stopping) {
  run(
    [join(root, "bin/tributary.mjs"), "gateway", "--listen", "127.0.0.1:9092", "--url", URL, "--token", "dev-token"],
    "the gateway",
  );
}
