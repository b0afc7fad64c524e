/**
 * What the consumer was asked to read and how: the subscribed topics (each with where it starts
 * without a committed offset), the partitions paused, and the seeks not yet applied. Kept
 * across rebalances; the partition loops read it.
 */
import type { AutoOffsetReset } from "./options.ts";
import { isKeyOfTopic, partitionKey } from "./partition-key.ts";

/** The consumer's subscriptions, pauses and pending seeks. */
export class SubscriptionState {
  readonly #autoOffsetReset: AutoOffsetReset;
  /** Subscribed topics and where each starts without a committed offset. */
  readonly #topics = new Map<string, AutoOffsetReset>();
  readonly #seeks = new Map<string, number>();
  readonly #pausedTopics = new Set<string>();
  readonly #pausedPartitions = new Set<string>();

  constructor(autoOffsetReset: AutoOffsetReset) {
    this.#autoOffsetReset = autoOffsetReset;
  }

  /** Adds topics; with `fromBeginning`, they start at the log start (autoOffsetReset "earliest"). */
  subscribe(topics: string[], fromBeginning: boolean | undefined): void {
    const reset = fromBeginning ? "earliest" : this.#autoOffsetReset;
    for (const t of topics) this.#topics.set(t, reset);
  }

  /** The subscribed topics. */
  get topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** How many topics are subscribed. */
  get size(): number {
    return this.#topics.size;
  }

  /** Whether `topic` is subscribed. */
  isSubscribed(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Where a partition of `topic` without a committed offset starts, or an out-of-range offset moves to. */
  resetOf(topic: string): AutoOffsetReset {
    return this.#topics.get(topic) ?? this.#autoOffsetReset;
  }

  /** Asks the partition's loop to read from `offset` next. */
  seek(topic: string, partition: number, offset: number): void {
    this.#seeks.set(partitionKey(topic, partition), offset);
  }

  /** Whether a seek waits to be applied to the partition of `key`. */
  isSeeking(key: string): boolean {
    return this.#seeks.has(key);
  }

  /** The seek waiting for the partition of `key`, if any, which no longer waits. */
  takeSeek(key: string): number | undefined {
    const seek = this.#seeks.get(key);
    if (seek !== undefined) this.#seeks.delete(key);
    return seek;
  }

  /** Pauses a topic (all its partitions, those assigned later too) or the partitions given. */
  pause(topic: string, partitions: number[] | undefined): void {
    if (partitions === undefined) this.#pausedTopics.add(topic);
    else for (const p of partitions) this.#pausedPartitions.add(partitionKey(topic, p));
  }

  /** Resumes a topic (and any partitions of it paused one by one) or the partitions given. */
  resume(topic: string, partitions: number[] | undefined): void {
    if (partitions === undefined) {
      this.#pausedTopics.delete(topic);
      for (const k of [...this.#pausedPartitions]) if (isKeyOfTopic(k, topic)) this.#pausedPartitions.delete(k);
    } else {
      for (const p of partitions) this.#pausedPartitions.delete(partitionKey(topic, p));
    }
  }

  /** Whether the partition is paused (itself, or its whole topic). */
  isPaused(topic: string, partition: number): boolean {
    return this.#pausedTopics.has(topic) || this.#pausedPartitions.has(partitionKey(topic, partition));
  }
}
