/**
 * One run of the consumer as a member of its group, from `run()` until it stops: joins, starts
 * the loops of the partitions assigned, heartbeats, and on a rebalance stops fetching, lets the
 * handlers in flight finish, commits what was processed with the old generation and joins
 * again with the same member id. On `disconnect()` or a crash it commits and leaves the group.
 */
import type { GroupApi } from "../group.ts";
import { type RetryPolicy, retryDelay, sleep } from "../retry.ts";
import { hasCode, toError, transient } from "./errors.ts";
import type { ConsumerEvents } from "./events.ts";
import type { FetchLoop } from "./fetch-loop.ts";
import { Heartbeat } from "./heartbeat.ts";
import type { OffsetManager } from "./offsets.ts";
import type { ConsumerConfig } from "./options.ts";
import { deferred, type EndReason, type PartitionLoop, Session } from "./session.ts";
import type { SubscriptionState } from "./subscription-state.ts";

/** What a membership needs. */
export interface MembershipOptions {
  groupId: string;
  config: Pick<ConsumerConfig, "sessionTimeoutMs" | "heartbeatIntervalMs" | "assignor" | "autoCommit">;
  api: GroupApi;
  /** The group's calls made once, without retries, for heartbeats. */
  heartbeatApi: GroupApi;
  /** How failed joins are retried. */
  policy: RetryPolicy;
  subscriptions: SubscriptionState;
  offsets: OffsetManager;
  events: ConsumerEvents;
}

/** The consumer's membership of its group during one `run()`. */
export class Membership {
  readonly #options: MembershipOptions;
  /** Aborted when disconnect() is called (or the consumer crashed): no more joins. */
  readonly #stop = new AbortController();
  /** Aborted once the consumer has left the group: heartbeats go on until then. */
  readonly #alive = new AbortController();
  readonly #heartbeat: Heartbeat;
  #fetchLoop: FetchLoop | undefined;
  #memberId: string | undefined;
  #session: Session | undefined;
  #running = true;
  #done: Promise<void> = Promise.resolve();
  #stopError: unknown;

  constructor(options: MembershipOptions) {
    this.#options = options;
    this.#heartbeat = new Heartbeat({
      api: options.heartbeatApi,
      intervalMs: options.config.heartbeatIntervalMs,
      sessionTimeoutMs: options.config.sessionTimeoutMs,
      alive: this.#alive.signal,
      session: () => this.#session,
      startLoops: (session, loops) => void this.#startLoops(session, loops),
    });
  }

  /** The member id the group gave, once joined. */
  get memberId(): string | undefined {
    return this.#memberId;
  }

  /** The current session, if the member has joined; it may be ending (see `reason`). */
  get session(): Session | undefined {
    return this.#session;
  }

  /** True until the run is over: the member left the group. */
  get running(): boolean {
    return this.#running;
  }

  /** True once the run is stopping (disconnect() was called, or it crashed). */
  get stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Sends a heartbeat now (or joins the one in flight). */
  heartbeat(): Promise<void> {
    return this.#heartbeat.beat();
  }

  /**
   * Joins and consumes with `fetchLoop`, in the background until stopped or crashed. Resolves
   * once the member has joined and every partition of its first assignment knows where it
   * starts; rejects with what kept it from starting.
   */
  async run(fetchLoop: FetchLoop): Promise<void> {
    this.#fetchLoop = fetchLoop;
    const started = deferred<void>();
    this.#done = this.#runGroup(started);
    void this.#heartbeat.loop();
    await started.promise;
  }

  /**
   * Stops: no more joins, the session ends, handlers in flight finish, what they processed is
   * committed and the member leaves. Resolves with the error of that last commit or leave, if
   * one failed (once: a second call gets none).
   */
  async stop(): Promise<unknown> {
    this.#stop.abort(new Error("the consumer is disconnecting"));
    this.#session?.end({ kind: "stop" });
    await this.#done;
    const error = this.#stopError;
    this.#stopError = undefined;
    return error;
  }

  #startLoops(session: Session, loops: PartitionLoop[]): Promise<boolean> {
    return this.#fetchLoop!.start(session, loops);
  }

  /** Joins, consumes until the session ends, and again, until stopped or crashed. */
  async #runGroup(started: ReturnType<typeof deferred<void>>): Promise<void> {
    const { groupId, offsets, events, policy } = this.#options;
    let isStarted = false;
    let attempt = 0;
    let crash: Error | undefined;
    try {
      while (!this.#stop.signal.aborted) {
        let session: Session;
        try {
          session = await this.#join();
        } catch (error) {
          if (this.#stop.signal.aborted) break;
          if (!isStarted || !transient(error)) {
            crash = toError(error);
            break;
          }
          await sleep(retryDelay(attempt++, policy, error), this.#stop.signal).catch(() => {});
          continue;
        }
        attempt = 0;
        void offsets.autoCommit(session);
        // Started once every partition of the first assignment knows where it starts.
        const ok = await this.#startLoops(session, [...session.loops.values()]);
        if (ok && !isStarted) {
          isStarted = true;
          started.resolve();
        }
        const reason = await session.ended;
        await this.#endSession(session, reason);
        if (reason.kind === "crash") {
          crash = reason.error;
          break;
        }
        if (reason.kind === "fenced") {
          this.#memberId = undefined;
          offsets.forgetPositions();
        }
      }
    } finally {
      this.#stop.abort(new Error("the consumer stopped"));
      this.#alive.abort(new Error("the consumer stopped"));
      await this.#leave();
      this.#running = false;
      if (crash) {
        if (isStarted) events.emit("consumer.crash", { groupId, error: crash });
        else started.reject(crash);
      } else {
        started.resolve();
      }
      events.emit("consumer.stop", { groupId });
    }
  }

  /** Joins (again, with the member id it has), and sets up the session's partition loops. */
  async #join(): Promise<Session> {
    const { groupId, config, api, subscriptions, offsets, events } = this.#options;
    const request = {
      topics: subscriptions.topics,
      sessionTimeoutMs: config.sessionTimeoutMs,
      ...(config.assignor === undefined ? {} : { assignor: config.assignor }),
    };
    let answer: Awaited<ReturnType<GroupApi["join"]>>;
    try {
      answer = await api.join({ ...request, memberId: this.#memberId }, this.#stop.signal);
    } catch (error) {
      // The session expired while we were away: join as a new member.
      if (!hasCode(error, "UNKNOWN_MEMBER_ID")) throw error;
      this.#memberId = undefined;
      offsets.forgetPositions();
      answer = await api.join(request, this.#stop.signal);
    }
    this.#memberId = answer.memberId;
    const session = new Session(answer.memberId, answer.generation);
    for (const { topic, partition } of answer.assignments) session.hold(topic, partition);
    // Positions of partitions handed elsewhere are forgotten: they are another member's now.
    offsets.forgetOthers(session.loops);
    this.#session = session;
    events.emit("consumer.group_join", {
      groupId,
      memberId: answer.memberId,
      generation: answer.generation,
      assignments: answer.assignments,
    });
    if (this.#stop.signal.aborted) session.end({ kind: "stop" });
    return session;
  }

  /** Stops the loops, waits for handlers in flight, and commits what they processed. */
  async #endSession(session: Session, reason: EndReason): Promise<void> {
    const { groupId, config, offsets, events } = this.#options;
    if (reason.kind === "rebalance") {
      events.emit("consumer.rebalancing", { groupId, memberId: session.memberId, generation: session.generation });
    }
    await Promise.allSettled([...session.loops.values()].map((loop) => loop.done));
    // A fenced member no longer holds its partitions: its commits would be refused.
    if (config.autoCommit && reason.kind !== "fenced") {
      try {
        await offsets.commitResolved(session);
      } catch (error) {
        // A rebalance's commit may be refused if the group moved on; the next owner then reads
        // some records again (at least once). A failed final commit is disconnect()'s error.
        if (reason.kind === "stop" && !hasCode(error, "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID")) {
          this.#stopError = error;
        }
      }
    }
    if (this.#session === session) this.#session = undefined;
  }

  async #leave(): Promise<void> {
    const memberId = this.#memberId;
    if (memberId === undefined) return;
    this.#memberId = undefined;
    this.#options.offsets.forgetPositions();
    try {
      await this.#options.api.leave(memberId);
    } catch (error) {
      if (!hasCode(error, "UNKNOWN_MEMBER_ID") && this.#stopError === undefined) this.#stopError = error;
    }
  }
}
