/**
 * One generation of the member's place in the group (a session): the partitions it holds, the
 * loop of each, and how it ended.
 */
import { partitionKey } from "./partition-key.ts";

/** A promise with its resolve and reject at hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Why a session ended: the group rebalanced, the member was fenced, it is stopping, or it crashed. */
export type EndReason = { kind: "rebalance" } | { kind: "fenced" } | { kind: "stop" } | { kind: "crash"; error: Error };

/** One generation of membership: the partitions held, their loops, and how it ended. */
export class Session {
  readonly controller = new AbortController();
  readonly loops = new Map<string, PartitionLoop>();
  readonly #ended = deferred<EndReason>();
  #reason: EndReason | undefined;
  lastCommitAt = Date.now();

  constructor(
    readonly memberId: string,
    readonly generation: number,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get ended(): Promise<EndReason> {
    return this.#ended.promise;
  }

  get reason(): EndReason | undefined {
    return this.#reason;
  }

  /** Holds a partition: adds a loop for it, unless the session has one; returns the loop added. */
  hold(topic: string, partition: number): PartitionLoop | undefined {
    const k = partitionKey(topic, partition);
    if (this.loops.has(k)) return undefined;
    const loop = new PartitionLoop(topic, partition, this.signal);
    this.loops.set(k, loop);
    return loop;
  }

  /** Wakes the loops of the topic's partitions (all, or those listed) from their waits. */
  interrupt(topic: string, partitions: number[] | undefined): void {
    for (const loop of this.loops.values()) {
      if (loop.topic === topic && (partitions === undefined || partitions.includes(loop.partition))) loop.interrupt();
    }
  }

  /** Ends the session (the first reason wins); loops see the signal and stop. */
  end(reason: EndReason): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.controller.abort(new Error(`session ended: ${reason.kind}`));
    this.#ended.resolve(reason);
  }
}

/**
 * The loop of one partition, and the signal its waits (a long poll, a paused partition) listen
 * to: aborted when the session ends, or by `interrupt` (a seek, a pause, a resume).
 */
export class PartitionLoop {
  #controller = new AbortController();
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly session: AbortSignal,
  ) {
    session.addEventListener("abort", () => this.#controller.abort(session.reason), { once: true });
  }

  get key(): string {
    return partitionKey(this.topic, this.partition);
  }

  /** Aborted when the session ends or the loop is interrupted; a fresh one after each interrupt. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Wakes the loop from a wait. */
  interrupt(): void {
    if (this.session.aborted) return;
    const current = this.#controller;
    this.#controller = new AbortController();
    current.abort(new Error("interrupted"));
  }
}
