import { describe, expect, it } from "vitest";
import { call, createTopic } from "../helpers/http.ts";

describe("smoke", () => {
  it("answers healthz", async () => {
    const res = await call("GET", "/healthz");
    expect(res.json).toEqual({ ok: true });
  });
  it("produces and fetches", async () => {
    const topic = await createTopic(1);
    const p = await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1 }, { value: 2 }] });
    expect(p.status).toBe(200);
    const f = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(f.json.records.map((r: any) => r.value)).toEqual([1, 2]);
  });
});
