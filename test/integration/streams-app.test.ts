import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TimeWindows } from "../../sdk/streams/index.ts";
import { call, waitFor } from "../helpers/http.ts";
import { Click, produce, queryStore, registerApp, startApp, waitForRecords } from "./stream-apps-fixtures.ts";

describe("stream apps", () => {
  it("counts clicks per key per window across partitions and writes every update to the output topic once", async () => {
    const { app, source, output } = await registerApp(2, (app, source, output) => {
      app
        .stream(source, { key: z.string(), value: Click })
        .groupByKey()
        .windowedBy(TimeWindows.of(1000))
        .count({ name: "per-second" })
        .toStream()
        .to(output);
    });
    const started = await startApp(app.name);
    expect(started.status).toBe(200);
    expect(started.json.state).toBe("running");
    expect(started.json.tasks).toHaveLength(2);
    // Recent event times (older ones would fall to the topic's retention), from a window start.
    const base = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    const clicks = [
      ["ad-1", 100],
      ["ad-2", 200],
      ["ad-1", 999],
      ["ad-1", 1000],
      ["ad-3", 1500],
      ["ad-2", 1999],
    ] as const;
    await produce(
      source,
      clicks.map(([ad, ts], i) => ({ key: ad, value: { ad, id: `c${i}` }, timestamp: base + ts })),
    );
    const records = await waitForRecords(output, clicks.length);
    const finals = new Map<string, number>();
    for (const r of records) finals.set(`${r.value.key}@${r.value.start - base}`, r.value.value);
    expect(Object.fromEntries(finals)).toEqual({
      "ad-1@0": 2,
      "ad-1@1000": 1,
      "ad-2@0": 1,
      "ad-2@1000": 1,
      "ad-3@1000": 1,
    });
    const entries = await queryStore(app.name, "per-second");
    const relative = (e: any) => [e.key, e.windowStart - base, e.windowEnd - base, e.value];
    expect(entries.map(relative)).toEqual([
      ["ad-1", 0, 1000, 2],
      ["ad-1", 1000, 2000, 1],
      ["ad-2", 0, 1000, 1],
      ["ad-2", 1000, 2000, 1],
      ["ad-3", 1000, 2000, 1],
    ]);
    expect((await queryStore(app.name, "per-second", `?key=ad-1&from=${base + 1000}`)).map(relative)).toEqual([
      ["ad-1", 1000, 2000, 1],
    ]);
    const described = await call("GET", `/v1/apps/${app.name}`);
    expect(described.json.topology.stores).toEqual([{ name: "per-second", subTopology: 0, windowed: "time" }]);
    await waitFor(async () => (await call("GET", `/v1/apps/${app.name}`)).json.lag === 0, 10_000, "lag 0");
  });
});
