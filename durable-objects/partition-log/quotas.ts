/**
 * Produce quotas of a partition (the topic's produceRecordsPerSecond and produceBytesPerSecond):
 * a token bucket for each, so a producer over its rate is told how long to wait.
 */
import type { TopicConfig } from "../../sdk/protocol/schemas.ts";

/**
 * A token bucket per partition for produce quotas: `rate` per second, holding up to one second's
 * worth. A request may take the bucket below zero (so a batch larger than the rate still goes
 * through); while it is below zero, requests are refused with how long to wait.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.at = now;
  }

  setRate(rate: number): void {
    this.rate = rate;
    this.tokens = Math.min(this.tokens, rate);
  }

  /** Milliseconds to wait before `amount` may be taken, or 0 after taking it. */
  take(amount: number, now: number): number {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 0) return Math.max(1, Math.ceil((-this.tokens / this.rate) * 1000));
    this.tokens -= amount;
    return 0;
  }
}

/** The produce quotas of one partition (records/s and bytes/s), each a token bucket. */
export class ProduceQuotas {
  private records: TokenBucket | undefined;
  private bytes: TokenBucket | undefined;

  /** Milliseconds to wait before this append may go, or 0 once it is counted. */
  take(config: TopicConfig, count: number, bytes: number, now: number): number {
    const recordRate = config.produceRecordsPerSecond ?? -1;
    const byteRate = config.produceBytesPerSecond ?? -1;
    this.records = recordRate > 0 ? this.bucket(this.records, recordRate, now) : undefined;
    this.bytes = byteRate > 0 ? this.bucket(this.bytes, byteRate, now) : undefined;
    const waitRecords = this.records?.take(count, now) ?? 0;
    if (waitRecords > 0) return waitRecords;
    return this.bytes?.take(bytes, now) ?? 0;
  }

  private bucket(current: TokenBucket | undefined, rate: number, now: number): TokenBucket {
    if (!current) return new TokenBucket(rate, now);
    current.setRate(rate);
    return current;
  }
}
