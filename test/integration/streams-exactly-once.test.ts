import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { FaultPoint } from "../../cluster/rpc/stream-task.ts";
import { waitFor } from "../helpers/http.ts";
import {
  Click,
  injectFault,
  produce,
  queryStore,
  readAll,
  registerApp,
  startApp,
  taskStatus,
  waitForRecords,
} from "./stream-apps-fixtures.ts";

const KEYS = ["ad-1", "ad-2", "ad-3", "ad-4"];

function clicks(n: number, from = 0) {
  return Array.from({ length: n }, (_, i) => {
    const ad = KEYS[(from + i) % KEYS.length]!;
    return { key: ad, value: { ad, id: `c${from + i}` } };
  });
}

/** Per key, the counts written to the output, in order: exactly 1..n when nothing was doubled or lost. */
function countsByKey(records: any[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of records) {
    out[r.key] ??= [];
    out[r.key]!.push(r.value);
  }
  return out;
}

describe("exactly-once under crashes of a StreamTask", () => {
  for (const point of ["before-commit", "after-commit", "after-produce"] satisfies FaultPoint[]) {
    it(`counts every record exactly once when the task crashes ${point}`, async () => {
      const { app, source, output } = await registerApp(1, (app, source, output) => {
        app
          .stream(source, { key: z.string(), value: Click })
          .groupByKey()
          .count({ name: "clicks" })
          .toStream()
          .to(output);
      });
      expect((await startApp(app.name)).json.state).toBe("running");
      // A first batch, processed normally.
      await produce(source, clicks(8));
      await waitForRecords(output, 8);
      await injectFault(app.name, 0, 0, point);
      await produce(source, clicks(40, 8));
      await produce(source, clicks(12, 48));
      const records = await waitForRecords(output, 60, 25_000);
      const expected = Object.fromEntries(KEYS.map((k) => [k, Array.from({ length: 15 }, (_, i) => i + 1)]));
      expect(countsByKey(records)).toEqual(expected);
      expect(await queryStore(app.name, "clicks")).toEqual(KEYS.map((key) => ({ key, value: 15 })));
      const status = await waitFor(async () => {
        const s = await taskStatus(app.name, 0, 0);
        return s.pendingOutputs === 0 && s.counters.processed === 60 ? s : undefined;
      });
      expect(status.faultsInjected).toBe(1);
      expect(status.counters).toMatchObject({ processed: 60, produced: 60 });
      // Nothing arrives late either: once the outbox is empty the output holds each update once.
      expect(await readAll(output)).toHaveLength(60);
    });
  }

  it("counts exactly through a repartition topic of a replicated source when both stages crash", async () => {
    const { app, source, output } = await registerApp(
      2,
      (app, source, output) => {
        app
          .stream(source, { key: z.string(), value: Click })
          .groupBy((_ad, click) => click.campaign, { key: z.string(), name: "by-campaign" })
          .count({ name: "per-campaign" })
          .toStream()
          .to(output);
      },
      3,
    );
    expect((await startApp(app.name)).json.state).toBe("running");
    const records = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => {
        const ad = `ad-${(from + i) % 5}`;
        return { key: ad, value: { ad, id: `c${from + i}`, campaign: `camp-${(from + i) % 3}` } };
      });
    await produce(source, records(6, 0));
    await waitForRecords(output, 6);
    await injectFault(app.name, 0, 0, "after-produce");
    await injectFault(app.name, 0, 1, "after-commit");
    await injectFault(app.name, 1, 0, "before-commit");
    await injectFault(app.name, 1, 1, "after-produce");
    await produce(source, records(24, 6));
    await produce(source, records(30, 30));
    const outputs = await waitForRecords(output, 60, 30_000);
    const counts = countsByKey(outputs);
    // Each campaign's updates are its counts 1..20, once each (their order follows the partitions).
    for (const key of ["camp-0", "camp-1", "camp-2"]) {
      expect(counts[key]!.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
    expect(await queryStore(app.name, "per-campaign")).toEqual([
      { key: "camp-0", value: 20 },
      { key: "camp-1", value: 20 },
      { key: "camp-2", value: 20 },
    ]);
    const statuses = await waitFor(async () => {
      const all = await Promise.all([0, 1].flatMap((sub) => [0, 1].map((p) => taskStatus(app.name, sub, p))));
      return all.every((s) => s.pendingOutputs === 0) ? all : undefined;
    });
    expect(statuses.map((s) => s.faultsInjected)).toEqual([1, 1, 1, 1]);
    expect(await readAll(`${app.name}.by-campaign.repartition`)).toHaveLength(60);
    expect(await readAll(output)).toHaveLength(60);
  });
});
