// `tributary group`, `tributary app` and `tributary profile` as a user runs them against the
// suite's workers (the platform, and the ad-click example's worker for stream apps).
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { oneLineError, tributary, unique } from "./cli-helpers.ts";

describe("tributary group", () => {
  it("lists and describes a group (members, committed offsets, high watermarks, lag), resets and deletes it", async () => {
    const topic = unique("cli-lag");
    const group = unique("cli-lag-g");
    await tributary(["topic", "create", topic, "-p", "2", "-r", "1"]);
    await tributary(["produce", topic, "-p", "0"], { input: "a\nb\nc\nd\n" });
    await tributary(["produce", topic, "-p", "1"], { input: "e\nf\n" });
    await tributary(["consume", topic, "-G", group, "-c", "6"]);

    const list = await tributary(["group", "list"]);
    expect(list.stdout).toMatch(new RegExp(`^${group}\\s+Empty\\s+0\\s+\\d+$`, "m"));
    expect(JSON.parse((await tributary(["group", "list", "--json"])).stdout)).toContainEqual(
      expect.objectContaining({ group, state: "Empty", members: 0 }),
    );

    const reset = await tributary(["group", "reset-offsets", group, "-t", topic, "--to", "1", "--json"]);
    expect(reset.stderr).toBe("");
    expect(JSON.parse(reset.stdout)).toEqual([
      { topic, partition: 0, committed: 1, highWatermark: 4, logStartOffset: 0, lag: 3 },
      { topic, partition: 1, committed: 1, highWatermark: 2, logStartOffset: 0, lag: 1 },
    ]);
    const described = await tributary(["group", "describe", group]);
    expect(described.stdout).toMatch(/^state\s+Empty$/m);
    expect(described.stdout).toMatch(/^total lag\s+4$/m);
    expect(described.stdout).toMatch(/^topic\s+partition\s+committed\s+log start\s+high watermark\s+lag$/m);
    expect(described.stdout).toMatch(new RegExp(`^${topic}\\s+0\\s+1\\s+0\\s+4\\s+3$`, "m"));
    expect(described.stdout).toMatch(new RegExp(`^${topic}\\s+1\\s+1\\s+0\\s+2\\s+1$`, "m"));

    await tributary(["group", "reset-offsets", group, "-t", topic, "--to", "end"]);
    const json = JSON.parse((await tributary(["group", "describe", group, "--json"])).stdout);
    expect(json).toMatchObject({ group, state: "Empty", totalLag: 0 });
    expect(json.offsets.map((o: { committed: number }) => o.committed)).toEqual([4, 2]);
    expect(oneLineError(await tributary(["group", "reset-offsets", group, "-t", topic, "--to", "-3"]))).toMatch(
      /^tributary: USAGE: --to -3/,
    );

    expect(JSON.parse((await tributary(["group", "delete", group, "--json"])).stdout)).toEqual({ deleted: [group] });
    expect(oneLineError(await tributary(["group", "describe", group]))).toMatch(/^tributary: GROUP_ID_NOT_FOUND: /);
    await tributary(["topic", "delete", topic]);
  });
});

describe("tributary app", () => {
  const ads = () => ({ env: { TRIBUTARY_URL: inject("adClicksUrl") } });

  it("lists the deployment's stream apps, describes one and queries its store", async () => {
    // The app's source, as the example's own driver makes it (it may exist already).
    const source = await tributary(["topic", "create", "ad-clicks", "-p", "4", "-r", "1"], ads());
    if (source.code !== 0) expect(source.stderr).toMatch(/^tributary: TOPIC_ALREADY_EXISTS: /);
    const list = await tributary(["app", "list", "--json"], ads());
    expect(list.stderr).toBe("");
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ name: "ad-clicks" }));
    expect((await tributary(["app", "list"], ads())).stdout).toMatch(/^app\s+state\s+tasks\s+reason$/m);

    const described = JSON.parse((await tributary(["app", "describe", "ad-clicks", "--json"], ads())).stdout);
    expect(described).toMatchObject({ name: "ad-clicks", state: expect.any(String), lag: expect.any(Number) });
    const text = await tributary(["app", "describe", "ad-clicks"], ads());
    expect(text.stdout).toMatch(/^app\s+ad-clicks$/m);

    const now = Date.now();
    const query = await tributary(
      [
        "app",
        "query",
        "ad-clicks",
        "clicks-per-minute",
        "--from",
        String(now - 3_600_000),
        "--to",
        new Date(now).toISOString(),
        "--limit",
        "5",
        "--json",
      ],
      ads(),
    );
    expect(query.stderr).toBe("");
    expect(Array.isArray(JSON.parse(query.stdout))).toBe(true);
    expect(oneLineError(await tributary(["app", "query", "ad-clicks", "no-such-store"], ads()))).toMatch(
      /^tributary: NOT_FOUND: app 'ad-clicks' has no store 'no-such-store'/,
    );
    expect(oneLineError(await tributary(["app", "describe", "nope"], ads()))).toMatch(
      /^tributary: NOT_FOUND: there is no stream app named 'nope'/,
    );
  });
});

describe("tributary profile", () => {
  const config = mkdtempSync(join(tmpdir(), "tributary-config-"));
  afterAll(() => rmSync(config, { recursive: true, force: true }));
  // No connection in the environment: only what the profiles say.
  const env = { XDG_CONFIG_HOME: config, TRIBUTARY_URL: undefined, TRIBUTARY_TOKEN: undefined };

  it("keeps named connections in a 0600 file; flags beat --profile, which beats the environment, which beats the current profile", async () => {
    const added = await tributary(["profile", "add", "local", "--url", inject("baseUrl"), "--token", inject("token")], {
      env,
    });
    expect(added.stdout).toBe("profile local saved (current)\n");
    await tributary(["profile", "add", "broken", "--url", inject("baseUrl"), "--token", "wrong-token"], { env });
    const file = join(config, "tributary", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
      current: "local",
      profiles: { broken: { token: "wrong-token" } },
    });

    // The current profile.
    expect((await tributary(["topic", "list", "--json"], { env })).code).toBe(0);
    // --profile names another.
    expect(oneLineError(await tributary(["topic", "list", "--profile", "broken"], { env }))).toMatch(/UNAUTHENTICATED/);
    // A flag beats the profile.
    expect((await tributary(["topic", "list", "--profile", "broken", "--token", inject("token")], { env })).code).toBe(
      0,
    );
    // The environment beats the current profile, not a --profile.
    const envToken = { ...env, TRIBUTARY_TOKEN: "env-token" };
    expect(oneLineError(await tributary(["topic", "list"], { env: envToken }))).toMatch(/UNAUTHENTICATED/);
    expect((await tributary(["topic", "list", "--profile", "local"], { env: envToken })).code).toBe(0);

    const list = await tributary(["profile", "list", "--json"], { env });
    expect(JSON.parse(list.stdout)).toEqual([
      {
        name: "local",
        current: true,
        url: inject("baseUrl"),
        token: `${inject("token").slice(0, 4)}…${inject("token").slice(-4)}`,
      },
      { name: "broken", current: false, url: inject("baseUrl"), token: "wron…oken" },
    ]);
    expect((await tributary(["profile", "use", "broken"], { env })).stdout).toBe("using profile broken\n");
    expect(oneLineError(await tributary(["topic", "list"], { env }))).toMatch(/UNAUTHENTICATED/);
    await tributary(["profile", "remove", "broken"], { env });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      profiles: { local: { url: inject("baseUrl"), token: inject("token") } },
    });
    expect(oneLineError(await tributary(["profile", "use", "gone"], { env }))).toMatch(
      /^tributary: USAGE: there is no profile gone/,
    );
  });
});
