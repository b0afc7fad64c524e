/**
 * TokenQuota: the produce quota of one scoped token (the object is named by the token id),
 * counted across every worker of the cluster. The worker asks it before each produce of a
 * token that has a quota; tokens without one never reach it. The buckets live in memory: an
 * object that restarts (or is evicted when idle) starts again with a full second's worth.
 */
import { DurableObject } from "cloudflare:workers";
import { meterObject } from "../../cluster/meter.ts";
import { failure, type Result } from "../../sdk/protocol/errors.ts";
import type { TokenQuota as Quota } from "../../sdk/protocol/schemas.ts";
import { TokenBucket } from "../partition-log/quotas.ts";

export class TokenQuota extends DurableObject<Env> {
  private records: TokenBucket | undefined;
  private bytes: TokenBucket | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // biome-ignore lint/correctness/noConstructorReturn: the billable-unit meter's proxy (cluster/meter.ts; off unless TRIBUTARY_METER=1).
    return meterObject(this, ctx, env, "TokenQuota");
  }

  /**
   * Counts a produce of `records` records and `bytes` bytes against `quota` (the token's, as
   * the worker read it), or refuses it with how long to wait while the token is over it.
   */
  take(quota: Quota, records: number, bytes: number): Result<object> {
    const now = Date.now();
    this.records = bucket(this.records, quota.recordsPerSecond, now);
    this.bytes = bucket(this.bytes, quota.bytesPerSecond, now);
    const wait = this.records?.take(records, now) || this.bytes?.take(bytes, now) || 0;
    if (wait === 0) return { ok: true };
    return failure(
      "THROTTLING_QUOTA_EXCEEDED",
      `the token is over its produce quota (${describe(quota)}); retry in ${wait} ms`,
      { retryAfterMs: wait },
    );
  }
}

function bucket(current: TokenBucket | undefined, rate: number | undefined, now: number): TokenBucket | undefined {
  if (rate === undefined) return undefined;
  if (!current) return new TokenBucket(rate, now);
  current.setRate(rate);
  return current;
}

function describe(quota: Quota): string {
  const parts = [];
  if (quota.recordsPerSecond !== undefined) parts.push(`${quota.recordsPerSecond} records/s`);
  if (quota.bytesPerSecond !== undefined) parts.push(`${quota.bytesPerSecond} bytes/s`);
  return parts.join(", ");
}
