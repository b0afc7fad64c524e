/**
 * The retention alarm of a partition log: when the next retention step is due and what it
 * removes when the alarm fires. The policy itself (which batches go, when the oldest expires)
 * is retention.ts; this keeps the object's alarm in step with it.
 */
import { nextExpiry, planRetention, type RetentionLimits } from "./retention.ts";
import type { LogBounds, PartitionStore } from "./store.ts";

export class RetentionAlarm {
  /** When the alarm is set for, as this object last set or read it; null when none is. */
  private alarmAt: number | null = null;

  /**
   * `limits` answers the topic's retention limits, or undefined while the partition is not
   * configured or after it was deleted (then nothing is scheduled). `bounds` is the log's own
   * object, updated in place.
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: PartitionStore,
    private readonly bounds: LogBounds,
    private readonly limits: () => RetentionLimits | undefined,
  ) {}

  /** Reads the alarm left set before a restart. */
  async load(): Promise<void> {
    this.alarmAt = await this.storage.getAlarm();
  }

  /** The alarm fired: removes what is due, then sets the next alarm. */
  async fired(now: number): Promise<void> {
    this.alarmAt = null;
    if (!this.limits()) return;
    this.enforce(now);
    await this.schedule();
  }

  /** Removes expired or excess batches from the start of the log. */
  enforce(now: number): { logStartOffset: number } {
    const limits = this.limits();
    if (!limits) return { logStartOffset: this.bounds.logStartOffset };
    const plan = planRetention(this.store.batchesInOrder(), this.bounds.totalBytes, limits, now);
    if (plan.deleteBefore !== null) {
      const start = plan.deleteBefore;
      this.storage.transactionSync(() => this.store.truncateBefore(start, this.bounds.highWatermark));
      this.bounds.logStartOffset = start;
      this.bounds.totalBytes -= plan.removedBytes;
    }
    return { logStartOffset: this.bounds.logStartOffset };
  }

  /**
   * Sets the alarm for the next retention step: now when the log is over its size limit, else
   * when the oldest batch expires. Cheap on the append path: no SQL once an alarm is set.
   * `recompute` (new limits) looks again even then, and clears an alarm no longer needed.
   */
  async schedule(recompute = false): Promise<void> {
    const limits = this.limits();
    if (!limits) return;
    const overSize = limits.retentionBytes !== -1 && this.bounds.totalBytes > limits.retentionBytes;
    if (this.alarmAt !== null && !overSize && !recompute) return;
    const due = overSize ? Date.now() : nextExpiry(this.store.oldestBatch(), limits);
    if (due === null) {
      if (recompute && this.alarmAt !== null) {
        this.alarmAt = null;
        await this.storage.deleteAlarm();
      }
      return;
    }
    if (this.alarmAt !== null && this.alarmAt <= due && !recompute) return;
    this.alarmAt = due;
    await this.storage.setAlarm(due);
  }

  /** The partition was deleted: no more retention steps. */
  async cancel(): Promise<void> {
    await this.storage.deleteAlarm();
    this.alarmAt = null;
  }
}
