import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { meterOf } from "../../durable-objects/shared/meter.ts";
import { call, createTopic } from "../helpers/http.ts";

describe("billable-unit meter", () => {
  it("probe", async () => {
    const topic = await createTopic(1);
    const meta = await call("GET", `/v1/topics/${topic}`);
    console.log(JSON.stringify(meta.json));
    const id = env.PARTITION_LOG.idFromName(`${topic}/${meta.json.id}/0`);
    console.log("before", JSON.stringify(meterOf(id)));
    const records = Array.from({ length: 100 }, (_, i) => ({ value: { i, pad: "x".repeat(80) } }));
    for (let n = 0; n < 10; n++) {
      const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records });
      expect(res.status).toBe(200);
    }
    console.log("after", JSON.stringify(meterOf(id)));
    console.log(JSON.stringify((await call("GET", "/v1/_test/meter")).json));
  });
});
