// The partition reader's loop (offsets followed, stopping), against a fake fetch that plays a
// partition's answers; test/e2e/sdk.test.ts runs it against a real worker.
import { describe, expect, it } from "vitest";
import { createClient, type FetchFunction, type ReaderRecord } from "../../sdk/index.ts";

interface Page {
  records: Array<{ partition: number; offset: number; timestamp: number; value: unknown }>;
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

/**
 * A fake partition holding `count` records from `start`: offsets lookups and fetches of at
 * most two records are answered from it; a fetch at the end waits for the caller's abort.
 */
function fakePartition(start: number, count: number) {
  const requests: URL[] = [];
  const end = start + count;
  const fetch: FetchFunction = async (input, init) => {
    const url = new URL(input);
    requests.push(url);
    if (url.pathname.endsWith("/offsets")) {
      const offset = url.searchParams.get("at") === "earliest" ? start : end;
      return Response.json({ offset });
    }
    const from = Number(url.searchParams.get("offset"));
    if (from >= end) {
      return new Promise<Response>((_, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    }
    const page: Page = { records: [], nextOffset: 0, highWatermark: end, logStartOffset: start };
    for (let o = from; o < Math.min(from + 2, end); o++) {
      page.records.push({ partition: 0, offset: o, timestamp: 1_000 + o, value: { n: o } });
    }
    page.nextOffset = from + page.records.length;
    return Response.json(page);
  };
  return { fetch, requests };
}

const clientWith = (fetch: FetchFunction) =>
  createClient({ url: "http://tributary.test", token: "t", fetch, retry: { retries: 0 } });

async function take(iterable: AsyncIterable<ReaderRecord>, n: number): Promise<ReaderRecord[]> {
  const out: ReaderRecord[] = [];
  for await (const record of iterable) {
    out.push(record);
    if (out.length === n) break;
  }
  return out;
}

describe("PartitionReader", () => {
  it("starts at the log start for 'earliest' and follows nextOffset across pages", async () => {
    const { fetch, requests } = fakePartition(3, 5);
    const reader = clientWith(fetch).reader({ topic: "t", partition: 0, fromOffset: "earliest" });
    const records = await take(reader, 5);
    expect(records.map((r) => r.offset)).toEqual([3, 4, 5, 6, 7]);
    expect(records[0]).toEqual({
      topic: "t",
      partition: 0,
      offset: 3,
      timestamp: 1_003,
      key: null,
      value: { n: 3 },
      headers: {},
    });
    const fetched = requests.filter((u) => u.pathname.endsWith("/records")).map((u) => u.searchParams.get("offset"));
    expect(fetched).toEqual(["3", "5", "7"]);
  });

  it("long polls with the reader's waitMs", async () => {
    const { fetch, requests } = fakePartition(0, 1);
    await take(clientWith(fetch).reader({ topic: "t", partition: 0, fromOffset: 0, waitMs: 1_234 }), 1);
    expect(requests[0]!.searchParams.get("waitMs")).toBe("1234");
  });

  it("continues after a break from the record after the last one yielded", async () => {
    const { fetch } = fakePartition(0, 6);
    const reader = clientWith(fetch).reader({ topic: "t", partition: 0, fromOffset: 0 });
    expect((await take(reader, 3)).map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(reader.position).toBe(3);
    expect((await take(reader, 2)).map((r) => r.offset)).toEqual([3, 4]);
  });

  it("leaves position unknown until it has looked up where 'latest' is", async () => {
    const { fetch } = fakePartition(0, 4);
    const controller = new AbortController();
    const reader = clientWith(fetch).reader({
      topic: "t",
      partition: 0,
      fromOffset: "latest",
      signal: controller.signal,
    });
    expect(reader.position).toBeUndefined();
    const iterator = reader[Symbol.asyncIterator]();
    const next = iterator.next();
    const deadline = Date.now() + 5_000;
    while (reader.position === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(reader.position).toBe(4);
    controller.abort();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it("ends the loop without an error when its signal is aborted during a long poll", async () => {
    const { fetch, requests } = fakePartition(0, 2);
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const record of clientWith(fetch).reader({
      topic: "t",
      partition: 0,
      fromOffset: 0,
      signal: controller.signal,
    })) {
      seen.push(record.offset);
      // The next fetch, at the end of the partition, parks until this abort.
      if (seen.length === 2) setTimeout(() => controller.abort(), 1);
    }
    expect(seen).toEqual([0, 1]);
    expect(requests.at(-1)!.searchParams.get("offset")).toBe("2");
  });

  it("does not start when its signal is already aborted", async () => {
    const { fetch, requests } = fakePartition(0, 2);
    const reader = clientWith(fetch).reader({ topic: "t", partition: 0, fromOffset: 0, signal: AbortSignal.abort() });
    expect(await take(reader, 1)).toEqual([]);
    expect(requests).toHaveLength(0);
  });
});
