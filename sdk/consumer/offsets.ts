/**
 * The consumer's offsets, per partition: where each starts (the committed offset, or
 * autoOffsetReset), the position each loop reached, the offsets resolved (processed) and those
 * committed, and the commits themselves: on an interval (autoCommit), when asked, one at a time.
 * Offsets are those of the next record to read, as in Kafka.
 */
import type { GroupApi, TopicPartitionOffset } from "../group.ts";
import { sleep } from "../retry.ts";
import { NoOffsetError } from "./errors.ts";
import type { ConsumerEvents } from "./events.ts";
import type { AutoOffsetReset } from "./options.ts";
import { partitionKey } from "./partition-key.ts";
import type { PartitionLoop, Session } from "./session.ts";

/** What the offset manager needs. */
export interface OffsetManagerOptions {
  groupId: string;
  api: GroupApi;
  events: ConsumerEvents;
  autoCommit: boolean;
  autoCommitIntervalMs: number;
  /** Where a partition of the topic without a committed offset starts. */
  resetOf: (topic: string) => AutoOffsetReset;
}

/** The offsets of one consumer's partitions, and its commits. */
export class OffsetManager {
  readonly #options: OffsetManagerOptions;
  /** The offset after the last record processed, per partition: what a commit sends. */
  readonly #resolved = new Map<string, number>();
  readonly #committed = new Map<string, number>();
  /** Where each loop stopped, kept for the partitions the member keeps across a rebalance. */
  readonly #positions = new Map<string, number>();
  #commits: Promise<unknown> = Promise.resolve();

  constructor(options: OffsetManagerOptions) {
    this.#options = options;
  }

  /** Marks the partition of `key` processed up to `offset` (the next to read): a commit sends it. */
  resolve(key: string, offset: number): void {
    this.#resolved.set(key, offset);
  }

  /** Where the partition's loop stopped, if it ran in this membership. */
  position(key: string): number | undefined {
    return this.#positions.get(key);
  }

  /** Keeps where the partition's loop stopped (or reached), for the next generation. */
  setPosition(key: string, offset: number): void {
    this.#positions.set(key, offset);
  }

  /** Forgets every position: the member lost its partitions (it left, or was fenced). */
  forgetPositions(): void {
    this.#positions.clear();
  }

  /**
   * Forgets the positions and resolved offsets of partitions not `held`: they are another
   * member's now.
   */
  forgetOthers(held: ReadonlyMap<string, unknown>): void {
    for (const k of [...this.#positions.keys()]) if (!held.has(k)) this.#positions.delete(k);
    for (const k of [...this.#resolved.keys()]) if (!held.has(k)) this.#resolved.delete(k);
  }

  /** The resolved offsets of `loops` not committed yet. */
  uncommitted(loops: Iterable<PartitionLoop>): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const loop of loops) {
      const resolved = this.#resolved.get(loop.key);
      if (resolved !== undefined && resolved !== this.#committed.get(loop.key)) {
        out.push({ topic: loop.topic, partition: loop.partition, offset: resolved });
      }
    }
    return out;
  }

  /** Commits the resolved offsets not committed yet, of the session's partitions. */
  async commitResolved(session: Session): Promise<void> {
    const offsets = this.uncommitted(session.loops.values());
    if (offsets.length > 0) await this.commit(session, offsets);
  }

  /** With autoCommit, commits the resolved offsets if the interval has passed since the last commit. */
  async commitIfNecessary(session: Session): Promise<void> {
    if (!this.#options.autoCommit || session.reason) return;
    if (Date.now() - session.lastCommitAt >= this.#options.autoCommitIntervalMs) {
      await this.commitResolved(session);
    }
  }

  /** Commits as the session's member; one commit at a time, so none lands after a newer one. */
  commit(session: Session, offsets: TopicPartitionOffset[]): Promise<void> {
    const run = this.#commits.then(async () => {
      await this.#options.api.commit(session.memberId, session.generation, offsets);
      for (const o of offsets) this.#committed.set(partitionKey(o.topic, o.partition), o.offset);
      session.lastCommitAt = Date.now();
      this.#options.events.emit("consumer.commit_offsets", {
        groupId: this.#options.groupId,
        memberId: session.memberId,
        generation: session.generation,
        offsets,
      });
    });
    this.#commits = run.catch(() => {});
    return run;
  }

  /** With autoCommit, commits the resolved offsets every interval until the session ends. */
  async autoCommit(session: Session): Promise<void> {
    if (!this.#options.autoCommit) return;
    while (!session.signal.aborted) {
      try {
        await sleep(this.#options.autoCommitIntervalMs, session.signal);
      } catch {
        return;
      }
      // Failures are retried at the next interval, and at the rebalance or disconnect.
      await this.commitResolved(session).catch(() => {});
    }
  }

  /**
   * Where each of `loops` starts: the position kept from the previous generation, the committed
   * offset, or autoOffsetReset. Throws `NoOffsetError` for a partition with none of them.
   */
  async starts(session: Session, loops: PartitionLoop[]): Promise<[PartitionLoop, number][]> {
    const starts = new Map<string, number>();
    const topics = new Set(loops.filter((l) => !this.#positions.has(l.key)).map((l) => l.topic));
    for (const topic of topics) {
      const rows = await this.#options.api.committed(topic, session.signal);
      for (const row of rows) {
        const k = partitionKey(row.topic, row.partition);
        if (row.committed !== null) {
          starts.set(k, row.committed);
          this.#committed.set(k, row.committed);
          continue;
        }
        const reset = this.#options.resetOf(topic);
        if (reset === "earliest") starts.set(k, row.logStartOffset);
        else if (reset === "latest") starts.set(k, row.highWatermark);
      }
    }
    const ready: [PartitionLoop, number][] = [];
    for (const loop of loops) {
      const start = this.#positions.get(loop.key) ?? starts.get(loop.key);
      if (start === undefined) throw new NoOffsetError(this.#options.groupId, loop.topic, loop.partition);
      ready.push([loop, start]);
    }
    return ready;
  }
}
