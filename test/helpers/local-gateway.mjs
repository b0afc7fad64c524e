// Starts the Kafka gateway as a user would (`tributary gateway`, the package's bin) in a child
// process on a free loopback port, for the end-to-end tests and the benchmark.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childStopper, freePort, ROOT } from "./local-worker.mjs";

/**
 * @param {{ url: string, token?: string, args?: string[], timeoutMs?: number }} options
 * @returns {Promise<{ broker: string, host: string, port: number, stop: () => Promise<void>, output: () => string }>}
 */
export async function startLocalGateway(options) {
  const port = await freePort();
  const args = [join(ROOT, "bin/tributary.mjs"), "gateway", "--listen", `127.0.0.1:${port}`, "--url", options.url];
  if (options.token) args.push("--token", options.token);
  args.push(...(options.args ?? []));
  // TRIBUTARY_TOKEN from the environment must not stand in for a token the test left out.
  const env = { ...process.env };
  delete env.TRIBUTARY_TOKEN;
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  const collect = (/** @type {Buffer} */ chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const { stop, exited } = childStopper(child, mkdtempSync(join(tmpdir(), "tributary-gateway-")));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`the gateway exited before it listened:\n${output}`);
    if (output.includes("listening on")) {
      return { broker: `127.0.0.1:${port}`, host: "127.0.0.1", port, stop, output: () => output };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`the gateway did not listen within the deadline:\n${output}`);
}
