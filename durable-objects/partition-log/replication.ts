/**
 * The leader's side of replication: one copy loop per follower pushes whole batches from the
 * follower's log end on (one call in flight per follower, so appends made meanwhile go in the
 * next call), tracks each follower's progress, moves the high watermark, keeps the in-sync set
 * honest through the Controller, and wakes `acks: "all"` appends once every in-sync replica has
 * their records.
 */

import type {
  BatchRow,
  PartitionRef,
  ReplicaRole,
  ReplicateRequest,
  ReplicateSuccess,
} from "../../cluster/rpc/partition-log.ts";
import type { Result } from "../../sdk/protocol/errors.ts";
import { type FollowerProgress, highWatermark, nextIsr } from "./replica-state.ts";

/** Bytes of records per replicate call. */
const REPLICATE_BYTES = 1_000_000;
/** A follower that fails is retried after this, doubling up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;
/** How often the leader re-checks the in-sync set while followers lag or appends wait. */
const ISR_CHECK_MS = 200;

export interface ReplicaClient {
  replicate(request: ReplicateRequest): Promise<Result<ReplicateSuccess>>;
}

/** What the PartitionLog gives its replication: its log, its role and the Controller. */
export interface ReplicationHost {
  ref: PartitionRef;
  role(): ReplicaRole;
  logEnd(): number;
  /** The leader's log start, which followers take up (retention, DeleteRecords). */
  logStart(): number;
  lagMs(): number;
  follower(replica: number): ReplicaClient;
  readForReplica(from: number, end: number, maxBytes: number): Promise<{ records: string; batches: BatchRow[] }>;
  /** The high watermark moved up. */
  advance(highWatermark: number): void;
  /** Asks the Controller to change the in-sync set; the host updates its role from the answer. */
  alterIsr(isr: number[]): Promise<void>;
  /** A follower knows a newer epoch: this leader was deposed. */
  deposed(): Promise<void>;
}

interface Follower extends FollowerProgress {
  /** The high watermark the follower last received (it serves reads up to it). */
  sentHw: number;
  /** The log start the follower last received. */
  sentStart: number;
  inflight: boolean;
  failures: number;
  retry: ReturnType<typeof setTimeout> | undefined;
}

interface Waiter {
  offset: number;
  resolve: (reached: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Replication {
  private readonly followers = new Map<number, Follower>();
  private readonly waiters = new Set<Waiter>();
  private hw: number;
  private altering = false;
  /** A change was seen while another was being made: look again after it. */
  private recheck = false;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    private readonly host: ReplicationHost,
    highWatermarkAtStart: number,
  ) {
    this.hw = highWatermarkAtStart;
    const role = host.role();
    const now = Date.now();
    for (let r = 0; r < role.replicas; r++) {
      if (r === role.replica) continue;
      this.followers.set(r, {
        replica: r,
        logEndOffset: null,
        caughtUpAt: now,
        sentHw: -1,
        sentStart: 0,
        inflight: false,
        failures: 0,
        retry: undefined,
      });
    }
  }

  /** New records (or a new follower state): start every idle copy loop. */
  kick(): void {
    if (this.stopped) return;
    for (const f of this.followers.values()) void this.pump(f);
    this.recompute();
  }

  /**
   * Resolves true once every in-sync replica holds the records below `offset`, false when that
   * did not happen within `timeoutMs` (laggards have been dropped from the in-sync set by then,
   * if the Controller could be reached).
   */
  waitFor(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.hw >= offset) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        offset,
        resolve,
        timer: setTimeout(async () => {
          await this.checkIsr(true);
          this.waiters.delete(waiter);
          resolve(this.hw >= offset);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
      this.tick();
    });
  }

  /** This object stopped leading: copy loops end, waiting appends are answered "not reached". */
  stop(): void {
    this.stopped = true;
    for (const f of this.followers.values()) clearTimeout(f.retry);
    clearInterval(this.ticker);
    this.ticker = undefined;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters.clear();
  }

  private async pump(f: Follower): Promise<void> {
    if (f.inflight || this.stopped) return;
    f.inflight = true;
    clearTimeout(f.retry);
    f.retry = undefined;
    try {
      for (;;) {
        const role = this.host.role();
        if (this.stopped || role.leader !== role.replica) return;
        const end = this.host.logEnd();
        // The first call carries nothing: the follower answers with its log end. Once it has
        // every record, one more call may carry nothing but the newer high watermark (or log start).
        const from = f.logEndOffset ?? end;
        const hw = this.hw;
        const start = this.host.logStart();
        if (f.logEndOffset !== null && from >= end && f.sentHw >= hw && f.sentStart >= start) return;
        const readAt = Date.now();
        const page =
          from < end ? await this.host.readForReplica(from, end, REPLICATE_BYTES) : { records: "[]", batches: [] };
        let answer: Result<ReplicateSuccess>;
        try {
          answer = await this.host.follower(f.replica).replicate({
            ref: { ...this.host.ref, replica: f.replica },
            epoch: role.epoch,
            leader: role.replica,
            history: role.history,
            from,
            records: page.records,
            batches: page.batches,
            highWatermark: hw,
            logStartOffset: start,
          });
        } catch {
          f.failures++;
          this.scheduleRetry(f);
          void this.checkIsr(false);
          return;
        }
        f.failures = 0;
        if (!answer.ok) {
          if (answer.code === "NOT_LEADER_OR_FOLLOWER") {
            this.stop();
            await this.host.deposed();
          } else {
            this.scheduleRetry(f);
          }
          return;
        }
        f.logEndOffset = answer.logEndOffset;
        f.sentHw = hw;
        f.sentStart = start;
        if (f.logEndOffset >= end) f.caughtUpAt = readAt;
        this.recompute();
        void this.checkIsr(false);
      }
    } finally {
      f.inflight = false;
    }
  }

  private scheduleRetry(f: Follower): void {
    if (this.stopped) return;
    const inSync = this.host.role().isr.includes(f.replica);
    // A follower out of the in-sync set and failing is tried again on the next append.
    if (!inSync && f.failures > 30) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(f.failures, 10));
    f.retry = setTimeout(() => void this.pump(f), delay);
  }

  /** Recomputes the high watermark and answers the appends it satisfies. */
  private recompute(): void {
    const role = this.host.role();
    const ends = new Map<number, number>();
    for (const f of this.followers.values()) if (f.logEndOffset !== null) ends.set(f.replica, f.logEndOffset);
    const hw = highWatermark(this.host.logEnd(), role.isr, role.replica, ends);
    if (hw > this.hw) {
      this.hw = hw;
      this.host.advance(hw);
      // Followers serve reads up to the high watermark they were told: tell the idle ones.
      for (const f of this.followers.values()) if (f.logEndOffset !== null && f.failures === 0) void this.pump(f);
    }
    for (const w of this.waiters) {
      if (w.offset <= this.hw) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(true);
      }
    }
    this.tick();
  }

  /** Asks for a smaller or larger in-sync set when a follower fell behind or caught up. */
  private async checkIsr(force: boolean): Promise<void> {
    if (this.stopped) return;
    if (this.altering && !force) {
      this.recheck = true;
      return;
    }
    const role = this.host.role();
    if (role.leader !== role.replica) return;
    const next = nextIsr(role, [...this.followers.values()], this.host.logEnd(), this.host.lagMs(), Date.now());
    if (!next) return;
    this.altering = true;
    try {
      await this.host.alterIsr(next);
    } finally {
      this.altering = false;
    }
    this.recompute();
    if (this.recheck) {
      this.recheck = false;
      await this.checkIsr(false);
    }
  }

  /** Keeps checking the in-sync set while appends wait or followers lag; idle otherwise. */
  private tick(): void {
    const isr = this.host.role().isr;
    const lagging = [...this.followers.values()].some(
      (f) => isr.includes(f.replica) && (f.logEndOffset ?? -1) < this.host.logEnd(),
    );
    const busy = !this.stopped && (this.waiters.size > 0 || lagging);
    if (busy && !this.ticker) {
      this.ticker = setInterval(() => void this.checkIsr(false), ISR_CHECK_MS);
    } else if (!busy && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }
}
