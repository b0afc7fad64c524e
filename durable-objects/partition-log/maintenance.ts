/**
 * The partition log's alarm: retention, compaction and tiering to R2, run in bounded steps, and
 * when the next run is due. The policies are pure modules (retention.ts, compaction.ts,
 * tiering.ts); this keeps the object's alarm in step with them and runs one step after the
 * other, letting appends and reads in between, so that no step holds the object for long.
 *
 * Scheduling stays off the append path's SQL: after an append, only in-memory sizes are compared
 * (over retentionBytes, over localRetentionBytes, dirty enough to compact); the time-based due
 * dates are computed when an alarm is set and after each run.
 */
import { InjectedCrash } from "../shared/faults.ts";
import { compactionDue, dirtyEnough } from "./compaction.ts";
import { Compactor, type CompactorHost } from "./compactor.ts";
import { type BatchInfo, nextExpiry, planRetention } from "./retention.ts";
import { type StoragePolicy, tiers } from "./storage-policy.ts";
import type { LogBounds, PartitionStore } from "./store.ts";
import type { Tier } from "./tier.ts";
import { localExpiry, planUpload, rewriteDue } from "./tiering.ts";

/** Work per alarm: at most this many compaction slices and segment uploads, then the alarm is set again. */
const SLICES_PER_RUN = 16;
const UPLOADS_PER_RUN = 8;
/** A run started because of appends waits this long after the previous one (a stalled step costs little). */
const MIN_RUN_INTERVAL_MS = 250;
/** After a failed run (R2 unreachable, say), the next one is this much later. */
const RETRY_MS = 10_000;

export interface MaintenanceHost extends CompactorHost {
  /** The partition's storage policy, or undefined while it is not configured or after it was deleted. */
  policy(): StoragePolicy | undefined;
  deleted(): boolean;
}

/** What one run did, for tests and the bench. */
export interface RunReport {
  /** Whether more work is due right away. */
  more: boolean;
  /** Records compaction examined, and removed. */
  examined: number;
  removed: number;
  /** Segments uploaded to R2, and written again. */
  uploaded: number;
  rewritten: number;
}

export class Maintenance {
  /** When the alarm is set for, as this object last set or read it; null when none is. */
  private alarmAt: number | null = null;
  private running: Promise<RunReport> | null = null;
  private lastRunAt = 0;
  /**
   * Set when no time-based step will come due until a run or a config change (the log was not
   * empty and nothing had a due date): appends then cost no SQL here even without an alarm.
   */
  private idle = false;
  private readonly compactor: Compactor;

  constructor(private readonly host: MaintenanceHost) {
    this.compactor = new Compactor(host);
  }

  private get bounds(): LogBounds {
    return this.host.bounds;
  }

  private get store(): PartitionStore {
    return this.host.store;
  }

  private get tier(): Tier {
    return this.host.tier;
  }

  /** Reads the alarm left set before a restart. */
  async load(): Promise<void> {
    this.alarmAt = await this.host.storage.getAlarm();
  }

  /** The alarm fired: one run, then the next alarm. */
  async fired(now: number): Promise<void> {
    this.alarmAt = null;
    let report: RunReport;
    try {
      report = await this.run(now);
    } catch (err) {
      if (err instanceof InjectedCrash) throw err;
      console.error("partition maintenance failed; retrying", err);
      await this.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    await this.afterRun(report);
  }

  /**
   * One run: what a crash interrupted, retention, compaction slices, uploads, one rewrite. Runs
   * do not overlap: a run asked for while one is under way waits for it.
   */
  async run(now: number): Promise<RunReport> {
    while (this.running) await this.running.catch(() => {});
    this.running = this.runOnce(now);
    try {
      return await this.running;
    } finally {
      this.running = null;
      this.lastRunAt = Date.now();
    }
  }

  private async runOnce(now: number): Promise<RunReport> {
    const report: RunReport = { more: false, examined: 0, removed: 0, uploaded: 0, rewritten: 0 };
    await this.tier.recover();
    const policy = this.host.policy();
    if (!policy || this.host.deleted()) return report;
    this.retain(policy, now);
    await this.tier.deletePending();
    if (policy.compact) {
      for (let slices = 0; ; slices++) {
        if (slices === SLICES_PER_RUN) {
          report.more = true;
          break;
        }
        const slice = await this.compactor.step(policy, now);
        report.examined += slice.examined;
        report.removed += slice.removed;
        if (!slice.more) break;
        // Let appends and reads in between slices.
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    if (tiers(policy) && this.tier.available) {
      for (;;) {
        const plan = planUpload(
          this.store.batchesInOrder(),
          this.bounds.localBytes,
          policy,
          now,
          this.uploadEnd(policy),
        );
        if (!plan) break;
        if (report.uploaded === UPLOADS_PER_RUN) {
          report.more = true;
          break;
        }
        if (!(await this.tier.upload(plan))) break;
        report.uploaded++;
      }
    }
    if (this.tier.available) {
      const due = this.tier.segments.filter(rewriteDue);
      if (due.length > 0) {
        await this.tier.rewrite(due[0]!);
        report.rewritten++;
        report.more ||= due.length > 1;
      }
    }
    return report;
  }

  /** Removes what retention says must go: whole segments and batches from the start of the log. */
  private retain(policy: StoragePolicy, now: number): void {
    if (policy.retentionMs === -1 && policy.retentionBytes === -1) return;
    const { tier, store } = this;
    function* units(): Generator<BatchInfo> {
      yield* tier.segments;
      yield* store.batchesInOrder();
    }
    const plan = planRetention(units(), this.bounds.totalBytes, policy, now);
    if (plan.deleteBefore !== null) this.advanceLogStart(plan.deleteBefore);
  }

  /**
   * Moves the log start up to `offset` (retention, Kafka's DeleteRecords, a follower taking its
   * leader's log start): segments entirely below it leave the manifest (their objects are
   * deleted by the next run), local records below it go.
   */
  advanceLogStart(offset: number): void {
    const b = this.bounds;
    if (offset <= b.logStartOffset) return;
    const { tieredBytes, localBytes } = this.host.storage.transactionSync(() => ({
      tieredBytes: this.tier.removeBelow(offset),
      localBytes: this.store.deleteBefore(offset, b.highWatermark),
    }));
    this.tier.load();
    b.logStartOffset = offset;
    b.localStartOffset = Math.max(b.localStartOffset, offset);
    b.cleanedTo = Math.max(b.cleanedTo, offset);
    b.totalBytes -= tieredBytes + localBytes;
    b.localBytes -= localBytes;
    b.dirtyBytes = this.store.bytesFrom(b.cleanedTo);
    this.idle = false;
  }

  /** Records below this may move to R2: committed ones (and, compacted, cleaned ones). */
  private uploadEnd(policy: StoragePolicy): number {
    const visible = this.host.visibleEnd();
    return policy.compact ? Math.min(visible, this.bounds.cleanedTo) : visible;
  }

  /**
   * After appends: sets the alarm when the log just went over a size (retention, local, dirty
   * ratio), no sooner than MIN_RUN_INTERVAL_MS after the last run; else, when no alarm is set,
   * for the next time-based step. No SQL while an alarm is set.
   */
  async poke(): Promise<void> {
    const policy = this.host.policy();
    if (!policy) return;
    if (this.urgent(policy)) {
      const due = Math.max(Date.now(), this.lastRunAt + MIN_RUN_INTERVAL_MS);
      if (this.alarmAt === null || this.alarmAt > due) await this.setAlarm(due);
    } else if (this.alarmAt === null && !this.idle) {
      const due = this.nextDue(policy, Date.now());
      if (due !== null) await this.setAlarm(due);
      // An empty log gets a due date with its first batch; a log with batches only from a run.
      else this.idle = this.bounds.highWatermark > this.bounds.logStartOffset;
    }
  }

  /** New limits (or a new policy): sets the alarm for them, or clears one no longer needed. */
  async reschedule(): Promise<void> {
    this.idle = false;
    const policy = this.host.policy();
    if (!policy) return;
    const now = Date.now();
    const due = this.urgent(policy) ? now : this.nextDue(policy, now);
    if (due === null) {
      if (this.alarmAt !== null) {
        this.alarmAt = null;
        await this.host.storage.deleteAlarm();
      }
      return;
    }
    await this.setAlarm(due);
  }

  /** The partition was deleted: one more run deletes its R2 objects, then nothing is scheduled. */
  async dropped(): Promise<void> {
    if (this.tier.hasPending()) await this.setAlarm(Date.now());
    else await this.cancel();
  }

  async cancel(): Promise<void> {
    await this.host.storage.deleteAlarm();
    this.alarmAt = null;
  }

  private async afterRun(report: RunReport): Promise<void> {
    this.idle = false;
    const policy = this.host.policy();
    if (!policy) {
      if (this.tier.hasPending()) await this.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    const now = Date.now();
    const due = report.more ? now : this.nextDue(policy, now);
    if (due !== null) await this.setAlarm(due);
  }

  private urgent(policy: StoragePolicy): boolean {
    const b = this.bounds;
    return (
      (policy.retentionBytes !== -1 && b.totalBytes > policy.retentionBytes) ||
      (policy.localRetentionBytes !== -1 && b.localBytes > policy.localRetentionBytes && this.tier.available) ||
      (policy.compact && dirtyEnough(b.dirtyBytes, b.totalBytes))
    );
  }

  /** When the next time-based step is due (SQL), or null when none will be. */
  private nextDue(policy: StoragePolicy, now: number): number | null {
    const dues: (number | null)[] = [];
    const oldestLocal = this.store.oldestBatch();
    dues.push(nextExpiry(this.tier.segments[0] ?? oldestLocal, policy));
    if (this.tier.available) dues.push(localExpiry(oldestLocal, policy));
    // Objects to delete: now (a run that fails to is retried RETRY_MS later, by `fired`).
    if (this.tier.hasPending()) dues.push(now);
    if (this.tier.available && this.tier.segments.some(rewriteDue)) dues.push(now);
    if (policy.compact) {
      const tombstone = this.host.compaction.oldestTombstone();
      if (tombstone !== null) dues.push(tombstone + policy.deleteRetentionMs);
      const b = this.bounds;
      const firstMaxTimestamp =
        b.cleanedTo < this.host.visibleEnd() ? this.host.compaction.batchMaxTimestampAt(b.cleanedTo) : null;
      const dirty = compactionDue(
        { bytes: b.dirtyBytes, totalBytes: b.totalBytes, firstMaxTimestamp },
        policy.maxCompactionLagMs,
        now,
      );
      // The uncleaned part can only be examined once its first batch is minCompactionLagMs old.
      const cleanable = policy.minCompactionLagMs > 0 ? (firstMaxTimestamp ?? 0) + policy.minCompactionLagMs : 0;
      if (dirty !== null) dues.push(Math.max(dirty, cleanable));
    }
    const set = dues.filter((d): d is number => d !== null);
    return set.length > 0 ? Math.max(now, Math.min(...set)) : null;
  }

  private async setAlarm(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt >= Date.now()) return;
    this.alarmAt = at;
    await this.host.storage.setAlarm(at);
  }
}
