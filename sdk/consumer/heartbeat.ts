/**
 * The member's heartbeats: one every heartbeatIntervalMs (and one when a handler asks), each
 * answered with the generation's state. A rebalance or a fenced member ends the session; the
 * partitions handed over by their previous owners since the join are started.
 */
import { TributaryError } from "../errors.ts";
import type { GroupApi } from "../group.ts";
import { sleep } from "../retry.ts";
import { hasCode } from "./errors.ts";
import type { PartitionLoop, Session } from "./session.ts";

/** What the heartbeat needs. */
export interface HeartbeatOptions {
  /** The group's calls, made once each: the next heartbeat is the retry. */
  api: GroupApi;
  intervalMs: number;
  sessionTimeoutMs: number;
  /** Aborted once the member has left the group: heartbeats go on until then. */
  alive: AbortSignal;
  /** The session heartbeats are sent for, if the member has joined. */
  session: () => Session | undefined;
  /** Starts the loops of partitions the member was given since the join. */
  startLoops: (session: Session, loops: PartitionLoop[]) => void;
}

/** The heartbeats of one run of a consumer. */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  #beating: Promise<void> | undefined;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Heartbeats every interval until the member has left the group. */
  async loop(): Promise<void> {
    // Heartbeats go on while a disconnect waits for handlers and commits, so the member is not
    // expired meanwhile (its commit would then be refused).
    const { alive, intervalMs } = this.#options;
    while (!alive.aborted) {
      try {
        await sleep(intervalMs, alive);
      } catch {
        return;
      }
      await this.beat();
    }
  }

  /** One heartbeat (or the one in flight). */
  beat(): Promise<void> {
    this.#beating ??= this.#send().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  async #send(): Promise<void> {
    const session = this.#options.session();
    if (!session) return;
    // Heartbeats go on while a session winds down: they keep the member alive meanwhile.
    // A heartbeat that hangs must not hold up the next one past the session timeout.
    const { alive } = this.#options;
    const cut = new AbortController();
    const onStop = () => cut.abort(alive.reason);
    alive.addEventListener("abort", onStop, { once: true });
    const timer = setTimeout(
      () => cut.abort(new Error("heartbeat timed out")),
      Math.max(500, this.#options.sessionTimeoutMs / 2),
    );
    let answer: Awaited<ReturnType<GroupApi["heartbeat"]>>;
    try {
      answer = await this.#options.api.heartbeat(session.memberId, session.generation, cut.signal);
    } catch (error) {
      if (cut.signal.aborted) return; // stopped, or timed out: the next heartbeat tries again
      if (hasCode(error, "REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION")) session.end({ kind: "rebalance" });
      else if (hasCode(error, "UNKNOWN_MEMBER_ID")) session.end({ kind: "fenced" });
      // A refusal that will not go away (a revoked token, say) ends the consumer; a server
      // error does not: the next heartbeat tries again, and an expired session is rejoined.
      else if (
        error instanceof TributaryError &&
        !error.retriable &&
        error.status !== undefined &&
        error.status < 500
      ) {
        session.end({ kind: "crash", error });
      }
      return;
    } finally {
      clearTimeout(timer);
      alive.removeEventListener("abort", onStop);
    }
    if (session.reason || this.#options.session() !== session || answer.generation !== session.generation) return;
    // Partitions released by their previous owners since the join.
    const added: PartitionLoop[] = [];
    for (const { topic, partition } of answer.assignments) {
      const loop = session.hold(topic, partition);
      if (loop) added.push(loop);
    }
    if (added.length > 0) this.#options.startLoops(session, added);
  }
}
