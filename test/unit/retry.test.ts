import { describe, expect, it } from "vitest";
import { TributaryError } from "../../sdk/errors.ts";
import {
  backoffCeiling,
  DEFAULT_RETRY,
  type RetryEvent,
  type RetryPolicy,
  resolveRetry,
  retry,
  retryDelay,
} from "../../sdk/retry.ts";

const policy = (p: Partial<RetryPolicy> = {}): RetryPolicy => ({
  retries: 5,
  initialRetryTime: 100,
  maxRetryTime: 1_000,
  multiplier: 2,
  ...p,
});

// Tiny real delays, passed through the options like any caller would.
const fast = policy({ initialRetryTime: 1, maxRetryTime: 2 });

const retriable = (message = "briefly unavailable", retryAfterMs?: number) =>
  new TributaryError({ code: "LEADER_NOT_AVAILABLE", message, retriable: true, status: 503, retryAfterMs });

const fatal = () => new TributaryError({ code: "TOPIC_ALREADY_EXISTS", message: "exists", retriable: false });

describe("backoff", () => {
  it("doubles the backoff ceiling per retry until maxRetryTime", () => {
    const ceilings = [0, 1, 2, 3, 4, 5].map((n) => backoffCeiling(n, policy()));
    expect(ceilings).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it("grows by the given multiplier", () => {
    expect([0, 1, 2].map((n) => backoffCeiling(n, policy({ multiplier: 3, maxRetryTime: 10_000 })))).toEqual([
      100, 300, 900,
    ]);
  });

  it("keeps every jittered delay between 0 and the ceiling", () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      const ceiling = backoffCeiling(attempt, policy());
      for (let i = 0; i < 200; i++) {
        const delay = retryDelay(attempt, policy());
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it("spreads delays over the whole range (full jitter)", () => {
    expect(retryDelay(3, policy(), undefined, () => 0)).toBe(0);
    expect(retryDelay(3, policy(), undefined, () => 0.5)).toBe(400);
    expect(retryDelay(3, policy(), undefined, () => 0.999999)).toBe(800);
  });

  it("waits at least the server's Retry-After, even beyond the backoff ceiling", () => {
    const error = retriable("slow down", 1_500);
    expect(retryDelay(0, policy(), error, () => 0)).toBe(1_500);
    expect(retryDelay(0, policy({ initialRetryTime: 5_000, maxRetryTime: 5_000 }), error, () => 1)).toBe(5_000);
  });
});

describe("retry", () => {
  it("returns the first success after retriable failures", async () => {
    let calls = 0;
    const value = await retry(async () => {
      calls++;
      if (calls < 3) throw retriable();
      return "ok";
    }, fast);
    expect(value).toBe("ok");
    expect(calls).toBe(3);
  });

  it("stops after `retries` retries and throws the last error", async () => {
    let calls = 0;
    const failure = retry(
      async () => {
        calls++;
        throw retriable(`failure ${calls}`);
      },
      policy({ retries: 3, initialRetryTime: 1, maxRetryTime: 2 }),
    );
    await expect(failure).rejects.toThrow("failure 4");
    expect(calls).toBe(4);
  });

  it("does not retry at all with retries: 0", async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw retriable();
        },
        policy({ retries: 0 }),
      ),
    ).rejects.toBeInstanceOf(TributaryError);
    expect(calls).toBe(1);
  });

  it("throws a non-retriable TributaryError at once", async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw fatal();
      }, fast),
    ).rejects.toMatchObject({ code: "TOPIC_ALREADY_EXISTS" });
    expect(calls).toBe(1);
  });

  it("throws errors that are not TributaryErrors at once", async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new TypeError("a bug in the caller");
      }, fast),
    ).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it("honours Retry-After before retrying a throttled call", async () => {
    const waits: number[] = [];
    const events: RetryEvent[] = [];
    let calls = 0;
    const value = await retry(
      async () => {
        calls++;
        if (calls === 1) throw retriable("throttled", 2_000);
        return calls;
      },
      fast,
      { sleep: async (ms) => void waits.push(ms), onRetry: (e) => events.push(e) },
    );
    expect(value).toBe(2);
    expect(waits).toEqual([2_000]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ attempt: 0, delayMs: 2_000 });
  });

  it("waits the jittered backoff of each attempt in turn", async () => {
    const waits: number[] = [];
    await expect(
      retry(
        async () => {
          throw retriable();
        },
        policy({ retries: 4 }),
        { sleep: async (ms) => void waits.push(ms), random: () => 1 },
      ),
    ).rejects.toBeInstanceOf(TributaryError);
    expect(waits).toEqual([100, 200, 400, 800]);
  });

  it("stops waiting and throws the abort reason when the signal is aborted during a backoff", async () => {
    const controller = new AbortController();
    let calls = 0;
    const pending = retry(
      async () => {
        calls++;
        throw retriable();
      },
      policy({ initialRetryTime: 60_000, maxRetryTime: 60_000 }),
      {
        signal: controller.signal,
        random: () => 1,
        onRetry: () => setTimeout(() => controller.abort(new Error("stopped while waiting")), 1),
      },
    );
    await expect(pending).rejects.toThrow("stopped while waiting");
    expect(calls).toBe(1);
  });

  it("throws the abort reason, not the failure, when the signal was aborted during the call", async () => {
    const controller = new AbortController();
    let calls = 0;
    const pending = retry(
      async () => {
        calls++;
        controller.abort(new Error("stopped by the caller"));
        throw retriable();
      },
      policy({ initialRetryTime: 60_000, maxRetryTime: 60_000 }),
      { signal: controller.signal },
    );
    await expect(pending).rejects.toThrow("stopped by the caller");
    expect(calls).toBe(1);
  });
});

describe("resolveRetry", () => {
  it("uses kafkajs's defaults", () => {
    expect(resolveRetry(undefined)).toEqual({ retries: 5, initialRetryTime: 300, maxRetryTime: 30_000, multiplier: 2 });
    expect(resolveRetry({})).toEqual(DEFAULT_RETRY);
  });

  it("lays options over a base policy", () => {
    expect(resolveRetry({ retries: 1 }, policy())).toEqual({ ...policy(), retries: 1 });
  });

  it("raises the default maxRetryTime to a larger initialRetryTime", () => {
    expect(resolveRetry({ initialRetryTime: 45_000 }).maxRetryTime).toBe(45_000);
  });
});
