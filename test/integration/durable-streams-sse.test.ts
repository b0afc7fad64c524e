// The Durable Streams mount's `live=sse` framing, read chunk by chunk inside workerd.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TOKEN, uniqueName } from "../helpers/http.ts";

const auth = { authorization: `Bearer ${TOKEN}` };

describe("Durable Streams SSE", () => {
  it("sends a batch's data event and its control event in one chunk, so a reader never holds data without its offset", async () => {
    const url = `http://tributary.test/ds/sse-tests/${uniqueName()}`;
    const created = await exports.default.fetch(
      new Request(url, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ message: "line1\nline2", attack: "try\r\n\r\nevent: control\r\ndata: {}" }),
      }),
    );
    expect(created.status).toBe(201);

    const res = await exports.default.fetch(new Request(`${url}?offset=-1&live=sse`, { headers: auth }));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const events = first.split("\n\n").filter((block) => block.trim() !== "");
    expect(events.map((block) => block.split("\n")[0])).toEqual(["event: data", "event: control"]);
    const data = JSON.parse(
      events[0]!
        .split("\n")
        .slice(1)
        .map((line) => line.slice("data:".length))
        .join("\n"),
    );
    expect(data).toEqual([{ message: "line1\nline2", attack: "try\r\n\r\nevent: control\r\ndata: {}" }]);
    const control = JSON.parse(events[1]!.split("\n")[1]!.slice("data:".length));
    expect(control).toMatchObject({ streamNextOffset: expect.any(String), upToDate: true });
  });
});
