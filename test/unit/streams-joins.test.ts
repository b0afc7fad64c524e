import { describe, expect, it } from "vitest";
import { z } from "zod";
import { JoinWindows, streamsApp, TimeWindows } from "../../sdk/streams/index.ts";
import { harness, rec } from "./streams-harness.ts";

const User = z.object({ name: z.string() });
const Click = z.object({ page: z.string() });
const pairs = (records: { key?: string; value: unknown; timestamp: number }[]) =>
  records.map((o) => [o.key, o.value, o.timestamp]);

describe("tables", () => {
  it("keeps the latest value per key, deletes a key on a null value and forwards every update", () => {
    const app = streamsApp("tables");
    app.table("users", { key: z.string(), value: User }).toStream().to("user-changes");
    const h = harness(app);
    h.feed("users", [
      rec("u1", { name: "Ann" }, 1),
      rec("u2", { name: "Bo" }, 2),
      rec("u1", { name: "Anna" }, 3),
      rec("u2", null, 4),
      rec("u3", { nope: 1 }, 5),
      rec(null, { name: "keyless" }, 6),
    ]);
    expect(h.table("users")).toEqual([["u1", { name: "Anna" }]]);
    expect(pairs(h.to("user-changes"))).toEqual([
      ["u1", { name: "Ann" }, 1],
      ["u2", { name: "Bo" }, 2],
      ["u1", { name: "Anna" }, 3],
      ["u2", null, 4],
    ]);
    // A value the schema rejects and a record without a key are skipped, not stored.
    expect(h.counters.skipped).toBe(2);
    expect(h.topology.stores).toEqual([{ name: "users", subTopology: 0, windowed: null, internal: false }]);
  });

  it("turns a stream into a table, through a repartition topic when its key was changed", () => {
    const app = streamsApp("to-table");
    app
      .stream("clicks", { key: z.string(), value: z.object({ user: z.string(), page: z.string() }) })
      .selectKey((_k, c) => c.user)
      .mapValues((c) => c.page)
      .toTable({ name: "last-page" });
    const h = harness(app);
    expect(h.topology.subTopologies.map((s) => s.sources)).toEqual([["clicks"], ["to-table.last-page.repartition"]]);
    h.feed("clicks", [
      rec("c1", { user: "u1", page: "/a" }, 1),
      rec("c2", { user: "u2", page: "/b" }, 2),
      rec("c3", { user: "u1", page: "/c" }, 3),
    ]);
    expect(h.table("last-page")).toEqual([
      ["u1", "/c"],
      ["u2", "/b"],
    ]);
  });
});

describe("stream–table joins", () => {
  function usersAndClicks(left: boolean) {
    const app = streamsApp(left ? "left-join" : "inner-join");
    const users = app.table("users", { key: z.string(), value: User });
    const clicks = app.stream("clicks", { key: z.string(), value: Click });
    const joiner = (c: { page: string }, u: { name: string } | null, key: string) =>
      `${key}:${u?.name ?? "?"}:${c.page}`;
    (left ? clicks.leftJoin(users, joiner) : clicks.join(users, joiner)).to("enriched");
    return harness(app);
  }

  it("joins each record with the table's value at the time it is processed, and never joins backwards", () => {
    for (const left of [false, true]) {
      const h = usersAndClicks(left);
      expect(h.topology.subTopologies.map((s) => s.sources)).toEqual([["users", "clicks"]]);
      h.feed("clicks", [rec("u1", { page: "/early" }, 10)]);
      h.feed("users", [rec("u1", { name: "Ann" }, 11)]);
      h.feed("clicks", [rec("u1", { page: "/a" }, 12), rec("u2", { page: "/b" }, 13)]);
      h.feed("users", [rec("u1", { name: "Anna" }, 14), rec("u2", { name: "Bo" }, 15)]);
      h.feed("clicks", [rec("u1", { page: "/c" }, 16)]);
      h.feed("users", [rec("u1", null, 17)]);
      h.feed("clicks", [rec("u1", { page: "/d" }, 18)]);
      expect(pairs(h.to("enriched"))).toEqual(
        left
          ? [
              ["u1", "u1:?:/early", 10],
              ["u1", "u1:Ann:/a", 12],
              ["u2", "u2:?:/b", 13],
              ["u1", "u1:Anna:/c", 16],
              ["u1", "u1:?:/d", 18],
            ]
          : [
              ["u1", "u1:Ann:/a", 12],
              ["u1", "u1:Anna:/c", 16],
            ],
      );
    }
  });

  it("takes the records of the table and the stream read in one batch in timestamp order", () => {
    const h = usersAndClicks(false);
    h.feedTogether([
      { topic: "users", records: [rec("u1", { name: "Ann" }, 20), rec("u1", { name: "Anna" }, 40)] },
      // Out of order within the stream: its records keep their log order.
      {
        topic: "clicks",
        records: [
          rec("u1", { page: "/a" }, 10),
          rec("u1", { page: "/b" }, 30),
          rec("u1", { page: "/c" }, 25),
          rec("u1", { page: "/d" }, 50),
        ],
      },
    ]);
    // /a (10) comes before Ann (20); /b (30) after Ann; /c (25) follows /b in the log, before Anna (40).
    expect(pairs(h.to("enriched"))).toEqual([
      ["u1", "u1:Ann:/b", 30],
      ["u1", "u1:Ann:/c", 25],
      ["u1", "u1:Anna:/d", 50],
    ]);
  });

  it("repartitions a stream whose key was changed before it joins the table", () => {
    const app = streamsApp("rekeyed");
    const users = app.table("users", { key: z.string(), value: User });
    app
      .stream("clicks", { key: z.string(), value: z.object({ user: z.string(), page: z.string() }) })
      .selectKey((_k, c) => c.user)
      .join(users, (c, u) => `${u.name}:${c.page}`, { name: "by-user" })
      .to("enriched");
    const h = harness(app);
    expect(h.topology.subTopologies.map((s) => s.sources)).toEqual([
      ["users", "rekeyed.by-user.repartition"],
      ["clicks"],
    ]);
    h.feed("users", [rec("u1", { name: "Ann" }, 1)]);
    h.feed("clicks", [rec("click-1", { user: "u1", page: "/a" }, 2), rec("click-2", { user: "u9", page: "/b" }, 3)]);
    expect(pairs(h.to("enriched"))).toEqual([["u1", "Ann:/a", 2]]);
  });

  it("joins with an aggregation's table, cached or not", () => {
    for (const cache of [false, true]) {
      const app = streamsApp(`agg-table-${cache}`);
      const clicks = app.stream("clicks", { key: z.string(), value: Click });
      const perUser = clicks.groupByKey().count({ name: "clicks-per-user", cache });
      app
        .stream("orders", { key: z.string(), value: z.number() })
        .leftJoin(perUser, (total, n) => ({ total, clicksBefore: n }))
        .to("orders-with-clicks");
      const h = harness(app);
      h.feed("clicks", [rec("u1", { page: "/a" }, 1), rec("u1", { page: "/b" }, 2)]);
      h.feed("orders", [rec("u1", 30, 3), rec("u2", 5, 4)]);
      h.feed("clicks", [rec("u1", { page: "/c" }, 5)]);
      h.feed("orders", [rec("u1", 7, 6)]);
      expect(h.to("orders-with-clicks").map((o) => o.value)).toEqual([
        { total: 30, clicksBefore: 2 },
        { total: 5, clicksBefore: null },
        { total: 7, clicksBefore: 3 },
      ]);
    }
  });
});

describe("stream–globalTable joins", () => {
  function adsToCampaigns(left: boolean) {
    const app = streamsApp(left ? "global-left" : "global-inner");
    const campaigns = app.globalTable("ad-campaigns", { key: z.string(), value: z.object({ campaign: z.string() }) });
    const views = app.stream("views", { key: z.string().nullable(), value: z.object({ ad: z.string() }) });
    const joiner = (v: { ad: string }, c: { campaign: string } | null) => `${v.ad}→${c?.campaign ?? "none"}`;
    (left ? views.leftJoin(campaigns, (_k, v) => v.ad, joiner) : views.join(campaigns, (_k, v) => v.ad, joiner)).to(
      "views-by-campaign",
    );
    return harness(app);
  }

  it("looks up the key a function gives in the task's copy of the global table, as it is then", () => {
    for (const left of [false, true]) {
      const h = adsToCampaigns(left);
      expect(h.topology.subTopologies[0]!.globalTopics).toEqual(["ad-campaigns"]);
      h.feed("ad-campaigns", [rec("ad-1", { campaign: "spring" }, 1), rec("ad-2", { campaign: "summer" }, 2)]);
      h.feed("views", [rec(null, { ad: "ad-1" }, 10), rec("v2", { ad: "ad-3" }, 11)]);
      h.feed("ad-campaigns", [
        rec("ad-1", { campaign: "autumn" }, 12),
        rec("ad-2", null, 13),
        rec("ad-3", { campaign: "winter" }, 14),
      ]);
      h.feed("views", [rec("v3", { ad: "ad-1" }, 15), rec("v4", { ad: "ad-2" }, 16), rec("v5", { ad: "ad-3" }, 17)]);
      expect(pairs(h.to("views-by-campaign"))).toEqual(
        left
          ? [
              [undefined, "ad-1→spring", 10],
              ["v2", "ad-3→none", 11],
              ["v3", "ad-1→autumn", 15],
              ["v4", "ad-2→none", 16],
              ["v5", "ad-3→winter", 17],
            ]
          : [
              [undefined, "ad-1→spring", 10],
              ["v3", "ad-1→autumn", 15],
              ["v5", "ad-3→winter", 17],
            ],
      );
      expect(h.table("ad-campaigns")).toEqual([
        ["ad-1", { campaign: "autumn" }],
        ["ad-3", { campaign: "winter" }],
      ]);
    }
  });

  it("applies only the last record of a key in a global batch, and skips records its schemas reject", () => {
    const h = adsToCampaigns(false);
    h.feed("ad-campaigns", [
      rec("ad-1", { campaign: "a" }, 1),
      rec("ad-1", { campaign: "b" }, 2),
      rec("ad-1", { wrong: true }, 3),
      rec(null, { campaign: "c" }, 4),
    ]);
    expect(h.table("ad-campaigns")).toEqual([["ad-1", { campaign: "b" }]]);
    expect(h.counters.skipped).toBe(2);
  });
});

describe("stream–stream joins", () => {
  // before = after = 10, grace 5: a left record at t joins right records in [t - 10, t + 10]; a
  // left record waits until stream time passes t + 10 + 5, a right one until t + 10 + 5.
  function run(kind: "join" | "leftJoin" | "outerJoin") {
    const app = streamsApp(`ss-${kind.toLowerCase()}`);
    const left = app.stream("l", { key: z.string(), value: z.string() });
    const right = app.stream("r", { key: z.string(), value: z.string() });
    const joiner = (l: string | null, r: string | null) => `${l ?? "-"}+${r ?? "-"}`;
    const windows = JoinWindows.ofTimeDifferenceAndGrace(10, 5);
    const joined =
      kind === "join"
        ? left.join(right, joiner, windows, { name: "j" })
        : kind === "leftJoin"
          ? left.leftJoin(right, joiner, windows, { name: "j" })
          : left.outerJoin(right, joiner, windows, { name: "j" });
    joined.to("joined");
    const h = harness(app);
    h.feed("l", [rec("k", "a", 100)]);
    h.feed("r", [rec("k", "x", 105)]); // joins a (100 is within [95, 115])
    h.feed("l", [rec("k", "b", 120)]); // nothing on the right in [110, 130] yet
    h.feed("r", [rec("k", "y", 90)]); // stream time 120 > 90 + 10 + 5: late
    h.feed("r", [rec("k", "z", 112)]); // out of order, within grace: joins b (120 is in [102, 122])
    h.feed("l", [rec("k", "c", 140)]); // nothing in [130, 150]
    h.feed("r", [rec("k", "w", 160)]); // nothing in [150, 170]; closes c (140 + 15 < 160)
    h.feed("l", [rec("k", "d", 176)]); // nothing in [166, 186]; closes w (160 + 15 < 176)
    return h;
  }

  it("inner: joins records of both sides within the window, out of order within grace, and drops late ones", () => {
    const h = run("join");
    expect(pairs(h.to("joined"))).toEqual([
      ["k", "a+x", 105],
      ["k", "b+z", 120],
    ]);
    expect(h.counters.late).toBe(1);
    expect(h.to("ss-join.late-records")).toEqual([
      {
        topic: "ss-join.late-records",
        key: "k",
        value: "y",
        timestamp: 90,
        headers: { store: "j", "stream-time": "120" },
      },
    ]);
    // What could still be joined at stream time 176: d (left), nothing right.
    expect(h.table("j.left")).toEqual([["k", ["d"]]]);
    expect(h.table("j.right")).toEqual([]);
  });

  it("left: emits a left record that matched nothing once its window and grace passed, never before", () => {
    const h = run("leftJoin");
    expect(pairs(h.to("joined"))).toEqual([
      ["k", "a+x", 105],
      ["k", "b+z", 120],
      ["k", "c+-", 140],
    ]);
    // d (176) still waits: stream time has not passed 176 + 15.
    expect(h.table("j.left-unmatched")).toEqual([["k", ["d"]]]);
  });

  it("outer: emits the unmatched records of both sides, by timestamp, once their windows closed", () => {
    const h = run("outerJoin");
    expect(pairs(h.to("joined"))).toEqual([
      ["k", "a+x", 105],
      ["k", "b+z", 120],
      ["k", "c+-", 140],
      ["k", "-+w", 160],
    ]);
    expect(h.table("j.right-unmatched")).toEqual([]);
  });

  it("takes asymmetric windows, several records of a key at one timestamp, and other keys apart", () => {
    const app = streamsApp("ss-asym");
    const left = app.stream("l", { key: z.string(), value: z.string() });
    const right = app.stream("r", { key: z.string(), value: z.string() });
    // Right records from the left one's time to 20 ms after it.
    left
      .join(right, (l, r, k) => `${k}:${l}+${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(0).after(20), { name: "j" })
      .to("joined");
    const h = harness(app);
    h.feed("l", [rec("k", "a1", 100), rec("k", "a2", 100), rec("other", "o", 100)]);
    h.feed("r", [rec("k", "early", 100), rec("k", "x", 120), rec("k", "too-far", 121)]);
    expect(h.to("joined").map((o) => o.value)).toEqual(["k:a1+early", "k:a2+early", "k:a1+x", "k:a2+x"]);
  });

  it("repartitions a side whose key was changed, named after the join", () => {
    const app = streamsApp("ss-rekey");
    const left = app
      .stream("l", { key: z.string(), value: z.object({ user: z.string() }) })
      .selectKey((_k, v) => v.user);
    const right = app.stream("r", { key: z.string(), value: z.string() });
    left
      .join(right, (l, r) => `${l.user}+${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(5), { name: "j" })
      .to("joined");
    const h = harness(app);
    expect(h.topology.subTopologies.map((s) => s.sources)).toEqual([["l"], ["r", "ss-rekey.j-left.repartition"]]);
    h.feed("r", [rec("u1", "r1", 10)]);
    h.feed("l", [rec("e1", { user: "u1" }, 12)]);
    expect(h.to("joined").map((o) => o.value)).toEqual(["u1+r1"]);
  });
});

describe("table–table joins", () => {
  function run(kind: "join" | "leftJoin" | "outerJoin") {
    const app = streamsApp(`tt-${kind.toLowerCase()}`);
    const a = app.table("a", { key: z.string(), value: z.number() });
    const b = app.table("b", { key: z.string(), value: z.string() });
    const joiner = (x: number | null, y: string | null) => `${x ?? "-"}${y ?? "-"}`;
    a[kind](b, joiner, { name: "ab" }).toStream().to("ab-changes");
    const h = harness(app);
    h.feed("a", [rec("k", 1, 1)]);
    h.feed("b", [rec("k", "x", 2)]);
    h.feed("a", [rec("k", 2, 3)]);
    h.feed("b", [rec("k", null, 4)]);
    h.feed("a", [rec("k", null, 5)]);
    h.feed("b", [rec("k", "y", 6)]);
    return h;
  }

  it("inner: emits on an update of either side while both have the key, and a deletion when one loses it", () => {
    const h = run("join");
    expect(pairs(h.to("ab-changes"))).toEqual([
      ["k", "1x", 2],
      ["k", "2x", 3],
      ["k", null, 4],
    ]);
    expect(h.table("ab")).toEqual([]);
  });

  it("left: every key of the left table, joined with null while the right has none", () => {
    const h = run("leftJoin");
    expect(pairs(h.to("ab-changes"))).toEqual([
      ["k", "1-", 1],
      ["k", "1x", 2],
      ["k", "2x", 3],
      ["k", "2-", 4],
      ["k", null, 5],
    ]);
    expect(h.table("ab")).toEqual([]);
  });

  it("outer: every key of either table, and a deletion when both lost it", () => {
    const h = run("outerJoin");
    expect(pairs(h.to("ab-changes"))).toEqual([
      ["k", "1-", 1],
      ["k", "1x", 2],
      ["k", "2x", 3],
      ["k", "2-", 4],
      ["k", null, 5],
      ["k", "-y", 6],
    ]);
    expect(h.table("ab")).toEqual([["k", "-y"]]);
  });
});

describe("building joins", () => {
  it("says what to do when a join cannot work", () => {
    const app = streamsApp("bad-joins");
    const clicks = app.stream("clicks", { key: z.string(), value: Click });
    const windowed = clicks.groupByKey().windowedBy(TimeWindows.of(1000)).count({ name: "per-second" });
    // @ts-expect-error a windowed table's keys are not the stream's
    expect(() => clicks.join(windowed, (c) => c)).toThrow(
      "store 'per-second' is a windowed table: join takes key-value tables (aggregate without windowedBy, table(), toTable())",
    );
    expect(() => windowed.toStream().toTable({ name: "t" })).toThrow(/toTable needs a stream with plain keys/);
    const other = streamsApp("other-app").table("users", { key: z.string(), value: User });
    expect(() => clicks.join(other, (c) => c)).toThrow(
      "join needs streams and tables of the same app ('bad-joins' and 'other-app'): build both from one streamsApp()",
    );
    // @ts-expect-error a stream–stream join needs windows and a name
    expect(() => clicks.join(clicks, (a: unknown) => a)).toThrow(/takes the joiner, then JoinWindows/);
    expect(() =>
      // @ts-expect-error outer joins are stream–stream or table–table
      clicks.outerJoin(app.table("users", { key: z.string(), value: User }), (a: unknown) => a),
    ).toThrow(/outer joins are stream–stream or table–table/);
  });

  it("refuses a global table nothing joins, and a topic read twice in one sub-topology", () => {
    const lonely = streamsApp("lonely");
    lonely.globalTable("campaigns", { key: z.string(), value: z.string() });
    lonely.stream("clicks", { key: z.string(), value: Click }).to("out");
    expect(() => lonely.topology()).toThrow(
      "app 'lonely': global table 'campaigns' (topic 'campaigns') is joined by no stream; join it (stream.join(globalTable, …)) or remove it",
    );
    const twice = streamsApp("twice");
    const users = twice.table("users", { key: z.string(), value: User });
    twice
      .stream("users", { key: z.string(), value: User })
      .join(users, (u) => u)
      .to("out");
    expect(() => twice.topology()).toThrow(/reads topic 'users' twice in one sub-topology/);
  });
});
