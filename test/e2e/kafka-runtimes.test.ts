// The gateway on Bun and on Deno, running the command's TypeScript as it is (cli/main.ts): kcat
// produces keyed records through each and reads them back, and they read over HTTP as sent.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startLocalGateway } from "../helpers/local-gateway.mjs";

const run = promisify(execFile);
const url = inject("baseUrl");
const token = inject("token");
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
});

describe.each(["bun", "deno"] as const)("the gateway on %s", (runtime) => {
  it("serves kcat: metadata, a keyed produce and a read from the beginning", async () => {
    const gateway = await startLocalGateway({ url, token, runtime, timeoutMs: 60_000 });
    stops.push(gateway.stop);
    const topic = `runtime-${runtime}-${Date.now().toString(36)}`;
    const created = await fetch(`${url}/v1/topics`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: topic, partitions: 2, replicationFactor: 1 }),
    });
    expect(created.status).toBe(201);
    const kcat = (args: string[], input?: string) => {
      const child = run("kcat", ["-b", gateway.broker, ...args], { timeout: 30_000 });
      if (input !== undefined) child.child.stdin!.end(input);
      return child;
    };
    const metadata = await kcat(["-L", "-t", topic]);
    expect(metadata.stdout).toContain(`topic "${topic}" with 2 partitions`);
    await kcat(["-P", "-t", topic, "-K:", "-X", "partitioner=murmur2_random"], 'a:{"n":1}\nb:{"n":2}\na:{"n":3}\n');
    const read = await kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k %s\\n"]);
    expect(read.stdout.trim().split("\n").sort()).toEqual(['a {"n":1}', 'a {"n":3}', 'b {"n":2}']);
    const described = await (
      await fetch(`${url}/v1/topics/${topic}`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(described.partitions.reduce((n: number, p: { highWatermark: number }) => n + p.highWatermark, 0)).toBe(3);
  }, 90_000);
});
