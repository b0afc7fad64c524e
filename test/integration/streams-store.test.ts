import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TaskStore } from "../../durable-objects/stream-task/store.ts";
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
});
