/** The consumer's events (kafkajs's names), and the listeners registered for them. */
import type { TopicPartition, TopicPartitionOffset } from "../group.ts";

/** The events a consumer emits, with what the listener gets. */
export interface ConsumerEventMap {
  /** Joined the group (at start and after each rebalance). */
  "consumer.group_join": { groupId: string; memberId: string; generation: number; assignments: TopicPartition[] };
  /** The group is rebalancing: the consumer stops fetching, commits and joins again. */
  "consumer.rebalancing": { groupId: string; memberId: string; generation: number };
  /** Offsets were committed. */
  "consumer.commit_offsets": { groupId: string; memberId: string; generation: number; offsets: TopicPartitionOffset[] };
  /** The consumer stopped on an error (it committed what it processed and left the group). */
  "consumer.crash": { groupId: string; error: Error };
  /** The consumer stopped (after disconnect or a crash). */
  "consumer.stop": { groupId: string };
}

/** A consumer event's name. */
export type ConsumerEventName = keyof ConsumerEventMap;

/** kafkajs's names for the consumer's events: `consumer.on(consumer.events.GROUP_JOIN, …)`. */
export const CONSUMER_EVENTS = {
  GROUP_JOIN: "consumer.group_join",
  REBALANCING: "consumer.rebalancing",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  CRASH: "consumer.crash",
  STOP: "consumer.stop",
} as const satisfies Record<string, ConsumerEventName>;

/** The listeners of one consumer's events. */
export class ConsumerEvents {
  readonly #listeners = new Map<ConsumerEventName, Set<(payload: never) => void>>();

  /** Listens to an event; returns a function that stops listening. */
  on<E extends ConsumerEventName>(event: E, listener: (payload: ConsumerEventMap[E]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Calls the event's listeners, in the order they were added. */
  emit<E extends ConsumerEventName>(event: E, payload: ConsumerEventMap[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (p: ConsumerEventMap[E]) => void)(payload);
      } catch {
        // A listener's failure is its own; the consumer goes on.
      }
    }
  }
}
