// `tributary produce` and `tributary consume` as a user pipes them: 100,000 lines in and all of
// them back, kcat's -K, -H, -o, -p, -e, -c and -f, JSON values, and consuming as a group member.
import { describe, expect, it } from "vitest";
import { oneLineError, tributary, unique } from "./cli-helpers.ts";

const LINES = 100_000;

describe("tributary produce and consume", () => {
  it("round-trips 100,000 piped lines: every key and value back, in order within each partition", async () => {
    const topic = unique("cli-100k");
    await tributary(["topic", "create", topic, "-p", "4", "-r", "1"]);
    const lines = Array.from({ length: LINES }, (_, i) => `user-${i % 997}:event ${i} ${"x".repeat(i % 50)}`);
    const produced = await tributary(["produce", topic, "-K:"], { input: `${lines.join("\n")}\n`, timeoutMs: 120_000 });
    expect(produced.stderr).toBe("");
    expect(produced.code).toBe(0);

    const consumed = await tributary(["consume", topic, "-e", "-f", "%p %o %k:%s\\n"], { timeoutMs: 120_000 });
    expect(consumed.stderr).toBe("");
    expect(consumed.code).toBe(0);
    const out = consumed.stdout.split("\n").filter((l) => l !== "");
    expect(out).toHaveLength(LINES);
    // Content: the same multiset of lines.
    const back = out.map((l) => l.slice(l.indexOf(" ", l.indexOf(" ") + 1) + 1));
    expect([...back].sort()).toEqual([...lines].sort());
    // Order: within a partition, offsets are 0, 1, 2, … and each key's events come in the order produced.
    const next = new Map<string, number>();
    const lastOfKey = new Map<string, number>();
    for (const line of out) {
      const [partition, offset, rest] = [
        line.split(" ")[0]!,
        Number(line.split(" ")[1]),
        line.split(" ").slice(2).join(" "),
      ];
      expect(offset).toBe(next.get(partition) ?? 0);
      next.set(partition, offset + 1);
      const key = rest.slice(0, rest.indexOf(":"));
      const n = Number(rest.split(" ")[1]);
      expect(n).toBeGreaterThan(lastOfKey.get(key) ?? -1);
      lastOfKey.set(key, n);
    }
    await tributary(["topic", "delete", topic]);
  }, 240_000);

  it("sends headers, a partition and JSON values, and prints them with -f and --json", async () => {
    const topic = unique("cli-json");
    await tributary(["topic", "create", topic, "-p", "3", "-r", "1"]);
    const input = 'ada:{"total":10}\ngrace:{"total":20}\nada:[1,2]\n';
    const produced = await tributary(
      ["produce", topic, "-K", ":", "--json", "-H", "source=cli", "-H", "v=a=b", "-p", "2"],
      {
        input,
      },
    );
    expect(produced.stderr).toBe("");
    const json = await tributary(["consume", topic, "-e", "--json"]);
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      {
        topic,
        partition: 2,
        offset: 0,
        timestamp: expect.any(Number),
        key: "ada",
        value: { total: 10 },
        headers: { source: "cli", v: "a=b" },
      },
      {
        topic,
        partition: 2,
        offset: 1,
        timestamp: expect.any(Number),
        key: "grace",
        value: { total: 20 },
        headers: { source: "cli", v: "a=b" },
      },
      {
        topic,
        partition: 2,
        offset: 2,
        timestamp: expect.any(Number),
        key: "ada",
        value: [1, 2],
        headers: { source: "cli", v: "a=b" },
      },
    ]);
    const formatted = await tributary(["consume", topic, "-e", "-f", "%t|%p|%o|%k|%s|%h|%K|%S\\n"]);
    expect(formatted.stdout).toBe(
      `${topic}|2|0|ada|{"total":10}|source=cli,v=a=b|3|12\n${topic}|2|1|grace|{"total":20}|source=cli,v=a=b|5|12\n${topic}|2|2|ada|[1,2]|source=cli,v=a=b|3|5\n`,
    );
    // -K on consume prints key, separator, value.
    expect((await tributary(["consume", topic, "-e", "-K", "="])).stdout.split("\n")[1]).toBe('grace={"total":20}');
    await tributary(["topic", "delete", topic]);
  });

  it("refuses a line that is not JSON with --json, in one line, after sending the lines before it", async () => {
    const topic = unique("cli-badjson");
    await tributary(["topic", "create", topic, "-r", "1"]);
    const bad = await tributary(["produce", topic, "--json"], { input: '{"a":1}\n"two"\n{oops\n{"a":4}\n' });
    expect(oneLineError(bad)).toMatch(/^tributary: USAGE: line 3: the value is not JSON/);
    expect((await tributary(["consume", topic, "-e"])).stdout).toBe('{"a":1}\ntwo\n');
    await tributary(["topic", "delete", topic]);
  });

  it("starts at -o beginning, end, an offset, -<n> and @<time>; -p one partition; -c a count", async () => {
    const topic = unique("cli-offsets");
    await tributary(["topic", "create", topic, "-p", "2", "-r", "1"]);
    const input = Array.from({ length: 10 }, (_, i) => `v${i}`).join("\n");
    await tributary(["produce", topic, "-p", "1"], { input });
    const consume = async (...args: string[]) =>
      (await tributary(["consume", topic, "-e", "-f", "%s ", ...args])).stdout;
    expect(await consume("-o", "beginning")).toBe("v0 v1 v2 v3 v4 v5 v6 v7 v8 v9 ");
    expect(await consume("-o", "end")).toBe("");
    expect(await consume("-o", "7", "-p", "1")).toBe("v7 v8 v9 ");
    expect(await consume("-o", "-2")).toBe("v8 v9 ");
    expect(await consume("-c", "3")).toBe("v0 v1 v2 ");
    expect(await consume("-p", "0")).toBe("");
    const [first] = (
      await tributary(["consume", topic, "-e", "-c", "1", "-o", "5", "-p", "1", "-f", "%T"])
    ).stdout.split(" ");
    expect(await consume("-o", `@${first}`, "-c", "1")).toMatch(/^v\d $/);
    expect(await consume("-o", `@${Date.now() + 3_600_000}`)).toBe("");
    expect(oneLineError(await tributary(["consume", topic, "-e", "-p", "5"]))).toMatch(/partitions 0 to 1/);
    expect(oneLineError(await tributary(["consume", topic, "-e", "-o", "99", "-p", "1"]))).toMatch(
      /^tributary: OFFSET_OUT_OF_RANGE: /,
    );
    await tributary(["topic", "delete", topic]);
  });

  it("follows a topic until -c records came, printing records produced after it started", async () => {
    const topic = unique("cli-follow");
    await tributary(["topic", "create", topic, "-r", "1"]);
    const following = tributary(["consume", topic, "-o", "end", "-c", "2"]);
    // Produce until the follower has seen two records (it may have started after the first produce).
    let result: Awaited<typeof following> | undefined;
    following.then((r) => {
      result = r;
    });
    for (let i = 0; i < 30 && result === undefined; i++) {
      await tributary(["produce", topic], { input: `late-${i}\n` });
    }
    const done = await following;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^late-\d+\nlate-\d+\n$/);
    await tributary(["topic", "delete", topic]);
  });

  it("consumes as a group member: commits what it printed, and the next member goes on from there", async () => {
    const topic = unique("cli-group");
    const group = unique("cli-g");
    await tributary(["topic", "create", topic, "-p", "2", "-r", "1"]);
    await tributary(["produce", topic, "-K:"], {
      input: Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`).join("\n"),
    });
    const first = await tributary(["consume", topic, "--group", group, "-c", "5", "-f", "%s\\n"]);
    expect(first.stderr).toBe("");
    expect(first.stdout.trim().split("\n")).toHaveLength(5);
    const rest = await tributary(["consume", topic, "-G", group, "-e", "-f", "%s\\n"]);
    expect(rest.stderr).toBe("");
    const all = [...first.stdout.trim().split("\n"), ...rest.stdout.trim().split("\n")];
    expect(all.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
    const offsets = JSON.parse((await tributary(["group", "describe", group, "--json"])).stdout).offsets;
    expect(offsets.reduce((sum: number, o: { lag: number }) => sum + o.lag, 0)).toBe(0);
    expect(oneLineError(await tributary(["consume", topic, "-G", group, "-o", "5"]))).toMatch(
      /^tributary: USAGE: with --group, -o is beginning or end/,
    );
    await tributary(["group", "delete", group]);
    await tributary(["topic", "delete", topic]);
  });
});
