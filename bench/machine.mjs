// The machine a bench ran on, for the report's first line and latest.json: cores, memory, Node,
// wrangler, the load average at the start and the commit (dirty or not).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { ROOT } from "../test/helpers/local-worker.mjs";

/** What the report says about the machine; `git` is empty outside a git checkout. */
export function machine() {
  const cpus = os.cpus();
  let git = {};
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    git = { commit, dirty };
  } catch {
    // not a git checkout
  }
  const wrangler = JSON.parse(readFileSync(join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version;
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    wrangler,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    git,
  };
}
