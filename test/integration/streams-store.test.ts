import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TaskStore } from "../../durable-objects/stream-task/store.ts";
import { processBatch, streamsApp } from "../../sdk/streams/index.ts";
import { uniqueName } from "../helpers/http.ts";

describe("a stream task's SQLite stores", () => {
  it("sweeps expired dedupe ids a slice at a time, keeping the live ones, and goes round again", async () => {
    const stub = env.STREAM_TASK.get(env.STREAM_TASK.idFromName(uniqueName("store")));
    await runInDurableObject(stub, (_task: unknown, state: DurableObjectState) => {
      const store = new TaskStore(state.storage.sql);
      const count = () => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM seen_ids").one().n;
      // 5,000 ids, every other one seen long ago; another store's ids are never touched.
      const ids = new Map(
        Array.from({ length: 5_000 }, (_, i) => [`id-${String(i).padStart(5, "0")}`, i % 2 ? 10 : 1_000]),
      );
      store.putSeenIds("seen", ids);
      store.putSeenIds("other", new Map([["id-00001", 10]]));
      // The first sweep looks at twice the ids written since the last one: all of them here.
      store.purgeSeenIds("seen", 500);
      expect(count()).toBe(2_501);
      expect([...store.seenIds("seen", ["id-00000", "id-00001", "id-04998", "id-04999"])]).toEqual([
        ["id-00000", 1_000],
        ["id-04998", 1_000],
      ]);
      // That sweep ended past the last id: the next one starts a new round, then slices of
      // 1,000 stored ids (nothing was written since), in id order.
      store.purgeSeenIds("seen", 2_000);
      expect(count()).toBe(2_501);
      store.purgeSeenIds("seen", 2_000);
      expect(count()).toBe(1_501);
      expect([...store.seenIds("seen", ["id-01998", "id-02000"])]).toEqual([["id-02000", 1_000]]);
      for (let i = 0; i < 2; i++) store.purgeSeenIds("seen", 2_000);
      expect(count()).toBe(1);
      store.putSeenIds("seen", new Map([["id-00007", 3_000]]));
      store.purgeSeenIds("seen", 2_000);
      expect([...store.seenIds("seen", ["id-00007"])]).toEqual([["id-00007", 3_000]]);
      expect([...store.seenIds("other", ["id-00001"])]).toEqual([["id-00001", 10]]);
    });
  });

  it("takes over the dedupe ids the previous release kept as windowed state: copies of them are still dropped", async () => {
    const app = streamsApp("legacy-dedupe");
    app
      .stream("clicks", { key: z.string(), value: z.object({ clickId: z.string() }) })
      .dedupe({ id: (_k, v) => v.clickId, withinMs: 1_000, name: "seen" })
      .mapValues((v) => v.clickId)
      .to("out");
    const topology = app.topology();
    const stub = env.STREAM_TASK.get(env.STREAM_TASK.idFromName(uniqueName("store")));
    await runInDurableObject(stub, (_task: unknown, state: DurableObjectState) => {
      const sql = state.storage.sql;
      // As the previous release wrote them: key = id, window [seen, seen + withinMs].
      for (const [id, seen] of [
        ["x", 500],
        ["y", 100],
      ] as const) {
        sql.exec(
          "INSERT INTO state (store, key, ws, we, key_json, value) VALUES ('seen', ?, ?, ?, ?, 'null')",
          id,
          seen,
          seen + 1_000,
          JSON.stringify(id),
        );
      }
      sql.exec("INSERT INTO state (store, key, ws, we, key_json, value) VALUES ('other', 'x', 0, 0, '\"x\"', '1')");
      const store = new TaskStore(sql);
      const batch = ["x", "y", "z"].map((clickId) => ({ key: "ad", value: { clickId }, timestamp: 1_200 }));
      const result = state.storage.transactionSync(() => processBatch(topology, 0, "clicks", batch, store, 1_000));
      // x (seen at 500) is a copy; y (seen at 100) is further away than 1,000 ms and counts again.
      expect(result.outputs.map((o) => o.value)).toEqual(["y", "z"]);
      expect(result.deduped).toBe(1);
      expect(sql.exec("SELECT store, key FROM state ORDER BY store").toArray()).toEqual([{ store: "other", key: "x" }]);
      expect([...store.seenIds("seen", ["x", "y", "z"])].sort()).toEqual([
        ["x", 500],
        ["y", 1_200],
        ["z", 1_200],
      ]);
    });
  });
});
