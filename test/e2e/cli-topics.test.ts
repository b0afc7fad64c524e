// `tributary topic` and the errors every command shares, run as a user runs them (the bin, on
// Node) against the suite's worker.
import { describe, expect, it } from "vitest";
import { oneLineError, tributary, unique } from "./cli-helpers.ts";

describe("tributary topic", () => {
  it("creates, lists, describes, re-configures, grows and deletes a topic", async () => {
    const name = unique("cli-topic");
    const created = await tributary([
      "topic",
      "create",
      name,
      "-p",
      "2",
      "-r",
      "1",
      "-c",
      "retention.ms=3600000",
      "--json",
    ]);
    expect(created.stderr).toBe("");
    expect(JSON.parse(created.stdout)).toMatchObject([
      { name, replicationFactor: 1, config: { retentionMs: 3_600_000 } },
    ]);

    // On a pipe the table is plain aligned columns, one line per topic.
    const list = await tributary(["topic", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^name\s+partitions\s+replicas\s+cleanup\s+retention ms$/);
    expect(list.stdout).toMatch(new RegExp(`^${name}\\s+2\\s+1\\s+delete\\s+3600000$`, "m"));
    const listed = JSON.parse((await tributary(["topic", "list", "--json"])).stdout);
    expect(listed.find((t: { name: string }) => t.name === name)).toMatchObject({ partitions: 2 });

    const described = await tributary(["topic", "describe", name]);
    expect(described.stdout).toMatch(new RegExp(`^name\\s+${name}$`, "m"));
    expect(described.stdout).toMatch(
      /^partition\s+log start\s+high watermark\s+records\s+bytes\s+leader\s+epoch\s+replicas\s+isr$/m,
    );
    expect(described.stdout).toMatch(/^1\s+0\s+0\s+0\s+0\s+-\s+-\s+-\s+-$/m);
    expect(described.stdout).toMatch(/^retentionMs\s+3600000$/m);

    const altered = await tributary([
      "topic",
      "alter-config",
      name,
      "--set",
      "retention.ms=60000",
      "-s",
      "maxMessageBytes=2048",
    ]);
    expect(altered.stdout).toMatch(/^retentionMs\s+60000$/m);
    expect(altered.stdout).toMatch(/^maxMessageBytes\s+2048$/m);

    const grown = await tributary(["topic", "add-partitions", name, "-n", "3", "--json"]);
    expect(JSON.parse(grown.stdout).partitions).toHaveLength(5);
    const json = JSON.parse((await tributary(["topic", "describe", name, "--json"])).stdout);
    expect(json).toMatchObject({ name, config: { retentionMs: 60_000, maxMessageBytes: 2048 } });
    expect(json.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2, 3, 4]);

    expect(JSON.parse((await tributary(["topic", "delete", name, "--json"])).stdout)).toEqual({ deleted: [name] });
    expect(oneLineError(await tributary(["topic", "describe", name]))).toMatch(
      /^tributary: UNKNOWN_TOPIC_OR_PARTITION: topic '.*' does not exist/,
    );
  });

  it("describes a replicated topic's leader, epoch, replicas and ISR", async () => {
    const name = unique("cli-replicated");
    await tributary(["topic", "create", name, "-r", "2"]);
    const described = JSON.parse((await tributary(["topic", "describe", name, "--json"])).stdout);
    expect(described.partitions[0]).toMatchObject({ leader: expect.any(Number), leaderEpoch: expect.any(Number) });
    const text = (await tributary(["topic", "describe", name])).stdout;
    const p = described.partitions[0];
    expect(text).toMatch(
      new RegExp(
        `^0\\s+0\\s+0\\s+0\\s+\\d+\\s+${p.leader}\\s+${p.leaderEpoch}\\s+${p.replicas.join(",")}\\s+${p.isr.join(",")}$`,
        "m",
      ),
    );
    await tributary(["topic", "delete", name]);
  });
});

describe("tributary's errors", () => {
  it("prints the API's error in one line with its code and exits non-zero", async () => {
    const exists = unique("cli-exists");
    await tributary(["topic", "create", exists, "-r", "1"]);
    expect(oneLineError(await tributary(["topic", "create", exists]))).toMatch(/^tributary: TOPIC_ALREADY_EXISTS: /);
    expect(oneLineError(await tributary(["topic", "create", unique("x"), "-c", "retention.ms=0"]))).toMatch(
      /^tributary: INVALID_CONFIG: .*retentionMs/,
    );
    expect(oneLineError(await tributary(["consume", unique("missing"), "-e"]))).toMatch(
      /^tributary: UNKNOWN_TOPIC_OR_PARTITION: /,
    );
    expect(oneLineError(await tributary(["produce", unique("missing")], { input: "a\n" }))).toMatch(
      /^tributary: UNKNOWN_TOPIC_OR_PARTITION: /,
    );
    await tributary(["topic", "delete", exists]);
  });

  it("refuses a bad token in one line, UNAUTHENTICATED", async () => {
    const bad = await tributary(["topic", "list"], { env: { TRIBUTARY_TOKEN: "not-a-token" } });
    expect(bad.code).toBe(1);
    expect(oneLineError(bad)).toMatch(/^tributary: UNAUTHENTICATED: /);
    const flag = await tributary(["group", "list", "--token", "also-bad"]);
    expect(oneLineError(flag)).toMatch(/^tributary: UNAUTHENTICATED: /);
  });

  it("says in one line what is wrong with the arguments, exit 2, before calling the worker", async () => {
    const cases: [string[], RegExp][] = [
      [["nope"], /^tributary: USAGE: unknown command 'nope'$/],
      [
        ["topic"],
        /^tributary: USAGE: topic needs a command: list, create, describe, alter-config, add-partitions, delete/,
      ],
      [["topic", "create"], /^tributary: USAGE: missing required argument 'topics'$/],
      [
        ["topic", "create", "x", "-p", "zero"],
        /^tributary: USAGE: option '-p, --partitions <n>' argument 'zero' is invalid/,
      ],
      [["topic", "list", "--bogus"], /^tributary: USAGE: unknown option '--bogus'$/],
      [["consume", "t", "-o", "start"], /^tributary: USAGE: -o start: give beginning, end, an offset/],
      [["consume", "t", "-f", "%x"], /^tributary: USAGE: -f: %x is not a field/],
      [["produce", "t", "-H", "novalue"], /^tributary: USAGE: -H novalue: write a header as key=value/],
      [["topic", "list", "--profile", "nowhere"], /^tributary: USAGE: --profile nowhere: there is no such profile/],
    ];
    // No worker at this URL: the errors must come before any call.
    const env = { TRIBUTARY_URL: "http://127.0.0.1:9", XDG_CONFIG_HOME: "/nonexistent" };
    const results = await Promise.all(cases.map(([args]) => tributary(args, { env })));
    results.forEach((result, i) => {
      expect(oneLineError(result), cases[i]![0].join(" ")).toMatch(cases[i]![1]);
      expect(result.code).toBe(2);
    });
  });

  it("needs a token, and says how to give one", async () => {
    const none = await tributary(["topic", "list"], {
      env: { TRIBUTARY_TOKEN: undefined, XDG_CONFIG_HOME: "/nonexistent", HOME: "/nonexistent" },
    });
    expect(oneLineError(none)).toMatch(
      /^tributary: USAGE: no token: pass --token, set TRIBUTARY_TOKEN, or add a profile/,
    );
  });

  it("answers --help on stdout with exit 0", async () => {
    const help = await tributary(["consume", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: tributary consume|C [options] <topic>");
  });
});
