// kcat (librdkafka), unmodified, against `tributary gateway`: metadata (-L), producing keyed
// lines (-P -K:) with each compression librdkafka has, consuming from the beginning to the end
// (-C -o beginning -e), a balanced group consumer (-G) and offsets by time (-Q).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

const run = promisify(execFile);
const broker = inject("kafkaBroker");
const url = inject("baseUrl");
const token = inject("token");
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

async function kcat(args: string[], input?: string): Promise<string> {
  const child = run("kcat", ["-b", broker, ...args], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return (await child).stdout;
}

async function createTopic(name: string, partitions: number) {
  const res = await fetch(`${url}/v1/topics`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name, partitions, replicationFactor: 1 }),
  });
  expect(res.status).toBe(201);
}

beforeAll(() => {
  // The machine must have kcat (.ci/run installs it): a missing tool fails the suite.
  const found = spawnSync("kcat", ["-V"]);
  if (found.error) throw new Error("kcat is not installed: apt-get install -y kcat");
});

describe("kcat through the gateway", () => {
  it("lists the broker and the topics (-L)", async () => {
    const topic = unique("kcat-meta");
    await createTopic(topic, 3);
    const out = await kcat(["-L", "-t", topic]);
    expect(out).toContain(`broker 0 at ${broker}`);
    expect(out).toMatch(new RegExp(`topic "${topic}" with 3 partitions`));
  });

  it("produces keyed lines with every compression and reads them back from the beginning to the end", async () => {
    const topic = unique("kcat-io");
    await createTopic(topic, 4);
    const lines: string[] = [];
    for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
      const batch = Array.from({ length: 25 }, (_, i) => `${codec}-${i}:value ${i} with ${codec}`);
      // librdkafka's own default partitioner is CRC32-based; murmur2_random is the Java client's.
      await kcat(["-P", "-t", topic, "-K:", "-z", codec, "-X", "partitioner=murmur2_random"], `${batch.join("\n")}\n`);
      lines.push(...batch);
    }
    const out = await kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p %k %s\\n"]);
    const got = out.trim().split("\n");
    expect(got).toHaveLength(lines.length);
    // Every key on the partition the Java client's partitioner (murmur2) picks, value intact.
    const byKey = new Map(got.map((l) => [l.split(" ")[1]!, l]));
    for (const line of lines) {
      const [key, value] = line.split(":") as [string, string];
      expect(byKey.get(key)).toBe(`${partitionForKey(key, 4)} ${key} ${value}`);
    }
  });

  it("consumes as a balanced group (-G) and commits, so the group's lag ends at 0", async () => {
    const topic = unique("kcat-group");
    const group = unique("kcat-g");
    await createTopic(topic, 3);
    await kcat(["-P", "-t", topic, "-K:"], `${Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join("\n")}\n`);
    const out = await kcat(["-G", group, "-o", "beginning", "-e", "-q", "-f", "%s\\n", topic]);
    expect(out.trim().split("\n").sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    const lag = await fetch(`${url}/v1/groups/${group}`, { headers: { authorization: `Bearer ${token}` } });
    const described = (await lag.json()) as { totalLag: number; membership: string };
    expect(described).toMatchObject({ totalLag: 0, membership: "classic" });
  });

  it("finds offsets by time (-Q)", async () => {
    const topic = unique("kcat-time");
    await createTopic(topic, 1);
    await kcat(["-P", "-t", topic], "one\ntwo\n");
    const out = await kcat(["-Q", "-t", `${topic}:0:${Date.now() - 3_600_000}`]);
    expect(out).toContain(`${topic} [0] offset 0`);
    const end = await kcat(["-Q", "-t", `${topic}:0:${Date.now() + 3_600_000}`]);
    // Past every record, Kafka answers the high watermark (kcat prints it as the end).
    expect(end).toMatch(new RegExp(`${topic} \\[0\\] offset (2|-1)`));
  });
});
