// How the SDK maps answers to results and typed errors, with a fake fetch passed through the
// options (no server: this tests the mapping only; test/e2e/sdk.test.ts runs against a worker).
import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../sdk/http.ts";
import {
  createClient,
  type FetchFunction,
  OffsetOutOfRangeError,
  type RetryOptions,
  TributaryError,
} from "../../sdk/index.ts";

interface Call {
  url: string;
  init: RequestInit;
}

/** A fake fetch answering each call with the next of `answers` (the last one repeats). */
function fakeFetch(...answers: Array<Response | Error | ((init: RequestInit) => Promise<Response>)>) {
  const calls: Call[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    const answer = answers[Math.min(calls.length, answers.length) - 1]!;
    if (answer instanceof Error) throw answer;
    if (typeof answer === "function") return answer(init);
    return answer.clone();
  };
  return { fetch, calls };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const envelope = (code: string, message: string, retriable: boolean, details: Record<string, unknown> = {}) => ({
  error: { code, message, retriable, ...details },
});

const noRetry: RetryOptions = { retries: 0 };
const fastRetry: RetryOptions = { retries: 3, initialRetryTime: 1, maxRetryTime: 2 };

function clientWith(fetch: FetchFunction, retry: RetryOptions = noRetry, requestTimeoutMs?: number) {
  return createClient({ url: "http://tributary.test/base", token: "secret-token", fetch, retry, requestTimeoutMs });
}

async function failureOf(promise: Promise<unknown>): Promise<TributaryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
}

describe("requests", () => {
  it("sends the bearer token and JSON to the API path under the base URL", async () => {
    const { fetch, calls } = fakeFetch(json({ results: [{ partition: 2, offset: 10, timestamp: 5 }] }));
    // Not idempotent: one produce request to the topic route, nothing else.
    const result = await clientWith(fetch)
      .producer({ idempotent: false })
      .send({ topic: "clicks", messages: [{ key: "k", value: { a: 1 } }] });
    expect(result).toEqual([{ topic: "clicks", partition: 2, offset: 10, timestamp: 5 }]);
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe("http://tributary.test/base/v1/topics/clicks/records");
    expect(init.method).toBe("POST");
    const headers = init.headers as Record<string, string>;
    expect(headers.authorization).toBe("Bearer secret-token");
    expect(headers["content-type"]).toBe("application/json");
    expect(JSON.parse(init.body as string)).toEqual({ records: [{ key: "k", value: { a: 1 } }], acks: 1 });
  });

  it("puts fetch options in the query string", async () => {
    const { fetch, calls } = fakeFetch(json({ records: [], nextOffset: 4, highWatermark: 4, logStartOffset: 0 }));
    await clientWith(fetch).fetch({ topic: "t", partition: 1, offset: 4, maxRecords: 10, waitMs: 250 });
    const url = new URL(calls[0]!.url);
    expect(url.pathname).toBe("/base/v1/topics/t/partitions/1/records");
    expect(Object.fromEntries(url.searchParams)).toEqual({ offset: "4", maxRecords: "10", waitMs: "250" });
  });

  it("returns an empty result for acks 0, which says nothing about where records went", async () => {
    const { fetch, calls } = fakeFetch(json({ accepted: 1 }, 202));
    expect(
      await clientWith(fetch)
        .producer({ acks: 0 })
        .send({ topic: "t", messages: [{ value: 1 }] }),
    ).toEqual([]);
    expect(JSON.parse(calls[0]!.init.body as string).acks).toBe(0);
  });
});

describe("answers", () => {
  const config = {
    retentionMs: 1,
    retentionBytes: 1,
    maxMessageBytes: 1,
    minInsyncReplicas: 1,
    cleanupPolicy: "delete",
  };

  it("hands on the fields of a topic description a newer server adds, in the topic, its partitions and config", async () => {
    const description = {
      name: "clicks",
      id: "t-1",
      partitions: [{ partition: 0, logStartOffset: 0, highWatermark: 3, tier: "hot" }],
      replicationFactor: 1,
      config: { ...config, compressionType: "zstd" },
      createdAt: 5,
      owner: "team-a",
    };
    const { fetch } = fakeFetch(json(description));
    expect(await clientWith(fetch).admin().describeTopic("clicks")).toEqual(description);
  });
});

describe("error envelope", () => {
  it("becomes a TributaryError with the code, status, retriable flag and details", async () => {
    const { fetch } = fakeFetch(
      json(envelope("TOPIC_ALREADY_EXISTS", "topic 'clicks' already exists", false, { topic: "clicks" }), 409),
    );
    const err = await failureOf(clientWith(fetch).admin().createTopic({ topic: "clicks" }));
    expect(err).toMatchObject({
      code: "TOPIC_ALREADY_EXISTS",
      message: "topic 'clicks' already exists",
      status: 409,
      retriable: false,
      details: { topic: "clicks" },
    });
  });

  it("becomes an OffsetOutOfRangeError carrying the log's bounds", async () => {
    const { fetch } = fakeFetch(
      json(
        envelope("OFFSET_OUT_OF_RANGE", "offset 1 is below the log start offset 5", false, {
          logStartOffset: 5,
          highWatermark: 9,
        }),
        416,
      ),
    );
    const err = await failureOf(clientWith(fetch).fetch({ topic: "t", partition: 0, offset: 1 }));
    expect(err).toBeInstanceOf(OffsetOutOfRangeError);
    expect(err).toMatchObject({ code: "OFFSET_OUT_OF_RANGE", status: 416, logStartOffset: 5, highWatermark: 9 });
  });

  it("keeps an unknown code from a newer server, taking retriable from the body", async () => {
    const { fetch } = fakeFetch(json(envelope("SOMETHING_NEW", "new", true), 503));
    const err = await failureOf(clientWith(fetch).admin().listTopics());
    expect(err).toMatchObject({ code: "SOMETHING_NEW", retriable: true, status: 503 });
  });

  it("reads Retry-After seconds from a throttled answer", async () => {
    const { fetch } = fakeFetch(
      json(envelope("THROTTLING_QUOTA_EXCEEDED", "slow down", true), 429, { "retry-after": "2" }),
    );
    const err = await failureOf(clientWith(fetch).admin().listTopics());
    expect(err).toMatchObject({ code: "THROTTLING_QUOTA_EXCEEDED", retriable: true, status: 429, retryAfterMs: 2_000 });
  });

  it("is retried when retriable, until the call succeeds", async () => {
    const { fetch, calls } = fakeFetch(
      json(envelope("LEADER_NOT_AVAILABLE", "retry", true), 503),
      json({ topics: [{ name: "a", partitions: 1 }] }),
    );
    expect(await clientWith(fetch, fastRetry).admin().listTopics()).toEqual([{ name: "a", partitions: 1 }]);
    expect(calls).toHaveLength(2);
  });

  it("is not retried when not retriable", async () => {
    const { fetch, calls } = fakeFetch(json(envelope("UNAUTHENTICATED", "the bearer token is not valid", false), 401));
    const err = await failureOf(clientWith(fetch, fastRetry).admin().listTopics());
    expect(err.code).toBe("UNAUTHENTICATED");
    expect(calls).toHaveLength(1);
  });
});

describe("answers that are not Tributary's", () => {
  it("maps a network failure to a retriable CONNECTION_ERROR with the cause", async () => {
    const cause = new TypeError("fetch failed");
    const { fetch, calls } = fakeFetch(cause);
    const err = await failureOf(clientWith(fetch, fastRetry).admin().listTopics());
    expect(err).toMatchObject({ code: "CONNECTION_ERROR", retriable: true, status: undefined });
    expect(err.cause).toBe(cause);
    expect(err.message).toContain("http://tributary.test could not be reached (fetch failed)");
    expect(calls).toHaveLength(4);
  });

  it("maps a proxy's HTML error page to a retriable CONNECTION_ERROR", async () => {
    const { fetch } = fakeFetch(new Response("<html>502 Bad Gateway</html>", { status: 502 }));
    const err = await failureOf(clientWith(fetch).admin().listTopics());
    expect(err).toMatchObject({ code: "CONNECTION_ERROR", retriable: true, status: 502 });
    expect(err.message).toContain("a body that is not JSON (<html>502 Bad Gateway</html>)");
  });

  it("maps a success answer cut off mid-body to a retriable CONNECTION_ERROR", async () => {
    const { fetch } = fakeFetch(new Response('{"topics": [', { status: 200 }));
    expect(await failureOf(clientWith(fetch).admin().listTopics())).toMatchObject({
      code: "CONNECTION_ERROR",
      retriable: true,
    });
  });

  it("does not retry a plain 404 page: the url is not a Tributary worker", async () => {
    const { fetch, calls } = fakeFetch(new Response("Not Found", { status: 404 }));
    const err = await failureOf(clientWith(fetch, fastRetry).admin().listTopics());
    expect(err).toMatchObject({ code: "CONNECTION_ERROR", retriable: false, status: 404 });
    expect(err.message).toContain("is the client's url the address of a Tributary worker?");
    expect(calls).toHaveLength(1);
  });

  it("maps JSON of the wrong shape to a non-retriable INVALID_RESPONSE", async () => {
    const { fetch } = fakeFetch(json({ topics: "none" }));
    const err = await failureOf(clientWith(fetch).admin().listTopics());
    expect(err).toMatchObject({ code: "INVALID_RESPONSE", retriable: false, status: 200 });
    expect(err.message).toMatch(/^GET \/base\/v1\/topics answered JSON this SDK does not understand \(topics: /);
  });

  it("gives up waiting after the request timeout with a retriable REQUEST_TIMED_OUT", async () => {
    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const { fetch } = fakeFetch(hang);
    const err = await failureOf(clientWith(fetch, noRetry, 5).admin().listTopics());
    expect(err).toMatchObject({ code: "REQUEST_TIMED_OUT", retriable: true });
  });
});

describe("aborting", () => {
  it("passes the caller's abort reason through, unwrapped and not retried", async () => {
    const controller = new AbortController();
    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const { fetch, calls } = fakeFetch(hang);
    const pending = clientWith(fetch, fastRetry).fetch({
      topic: "t",
      partition: 0,
      offset: 0,
      waitMs: 30_000,
      signal: controller.signal,
    });
    const reason = new Error("caller stopped");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(calls).toHaveLength(1);
  });

  it("stops reading a body whose reading misses the abort (undici can leave it pending forever)", async () => {
    const controller = new AbortController();
    // Headers came; the body never settles, whatever the signal does.
    const stuckBody = async () => {
      const response = new Response("{}", { status: 200 });
      Object.defineProperty(response, "text", { value: () => new Promise<string>(() => {}) });
      return response;
    };
    const { fetch } = fakeFetch(stuckBody);
    const pending = clientWith(fetch, fastRetry).fetch({
      topic: "t",
      partition: 0,
      offset: 0,
      signal: controller.signal,
    });
    const reason = new Error("consumer stopping");
    setTimeout(() => controller.abort(reason), 5);
    await expect(pending).rejects.toBe(reason);
  });
});

describe("Retry-After", () => {
  it("reads delay-seconds and HTTP dates, and ignores anything else", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
