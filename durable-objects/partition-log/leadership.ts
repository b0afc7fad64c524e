/**
 * A replica's role in a replicated partition: the epoch it is in, whether it leads, and, while
 * it leads, the copy loops to its followers (replication.ts). It applies the roles the
 * Controller names, checks its role with the Controller once after a restart before it leads,
 * and waits for the in-sync replicas on behalf of `acks: "all"` appends. A partition with one
 * replica has no role.
 */
import type {
  AppendRequest,
  BatchRow,
  PartitionSettings,
  ReplicaRole,
  ReplicateRequest,
} from "../../cluster/rpc/partition-log.ts";
import { controllerStub, partitionStub } from "../../cluster/stubs.ts";
import type { Failure, Result } from "../../sdk/protocol/errors.ts";
import type { TopicConfig } from "../../sdk/protocol/schemas.ts";
import { notEnoughReplicas, notLeader } from "./failures.ts";
import { truncationPoint } from "./replica-state.ts";
import { Replication, type ReplicationHost } from "./replication.ts";
import type { PartitionStore } from "./store.ts";

/** How long a follower may stay behind before it leaves the in-sync set (Kafka's replica.lag.time.max.ms). */
export const DEFAULT_REPLICA_LAG_MS = 10_000;

/** What the PartitionLog gives its leadership: its settings and its log. */
export interface LeadershipHost {
  /** Which partition this is and its topic's config, once known. */
  settings(): PartitionSettings | null;
  /** The next offset this replica will write. */
  logEnd(): number;
  /** The first offset this replica holds. */
  logStart(): number;
  /** The high watermark as this replica serves it. */
  visibleEnd(): number;
  /** Cuts the log at `offset`. */
  truncate(offset: number): void;
  /** The high watermark moved up. */
  advance(highWatermark: number): void;
  /** Whole batches from `from` on, wherever they are (SQLite or R2), as followers get them. */
  readForReplica(from: number, end: number, maxBytes: number): Promise<{ records: string; batches: BatchRow[] }>;
}

export class Leadership {
  /** Leader, follower and in-sync set of a replicated partition; null with one replica. */
  private current: ReplicaRole | null = null;
  /** Whether the role was checked with the Controller since this object (re)started. */
  private confirmed = false;
  /** The leader's copy loops to its followers. */
  private copying: Replication | null = null;

  constructor(
    private readonly env: Env,
    private readonly store: PartitionStore,
    private readonly host: LeadershipHost,
  ) {}

  get role(): ReplicaRole | null {
    return this.current;
  }

  /** The copy loops while this replica leads a partition with followers, else null. */
  get replication(): Replication | null {
    return this.copying;
  }

  /** Takes up the role kept before a restart; it is confirmed with the Controller before this replica leads. */
  load(role: ReplicaRole): void {
    this.apply(role);
  }

  /**
   * Applies a role: a new epoch in which this replica follows first cuts its log where that
   * epoch began; leading starts the copy loops to the followers.
   */
  take(role: ReplicaRole): void {
    const previous = this.current;
    const logEnd = this.host.logEnd();
    if (previous && role.epoch > previous.epoch && role.leader !== role.replica) {
      const cut = truncationPoint(role.history, previous.epoch, logEnd);
      if (cut < logEnd) this.host.truncate(cut);
    }
    this.store.setMeta("role", JSON.stringify(role));
    this.confirmed = true;
    this.apply(role);
  }

  /** Asks the Controller for this replica's current role (after a restart, or when deposed). */
  async refresh(): Promise<void> {
    const ref = this.host.settings()?.ref;
    if (!ref) return;
    const found = (await controllerStub(this.env).partitionSettings(ref)) as Result<{ settings: PartitionSettings }>;
    if (found.ok && found.settings.role) this.take(found.settings.role);
    this.confirmed = true;
  }

  /** The Controller names a role: one of an older epoch than this replica's is refused. */
  assign(role: ReplicaRole): Failure | undefined {
    const current = this.current;
    if (current && role.epoch < current.epoch) {
      return notLeader(`epoch ${role.epoch} is older than this replica's epoch ${current.epoch}`, current);
    }
    this.take(role);
    return undefined;
  }

  /**
   * A leader's replicate call: refused from an older epoch (the sender was deposed); a newer
   * epoch, or another leader, makes this replica follow it, cutting its log where that epoch
   * began. Undefined when the call's batches may be taken.
   */
  follow(request: Pick<ReplicateRequest, "epoch" | "leader" | "history">): Failure | undefined {
    const role = this.current;
    if (!role) return notLeader("this replica has no replication role", null);
    if (request.epoch < role.epoch) {
      return notLeader(`leader epoch ${request.epoch} was replaced by epoch ${role.epoch}`, role);
    }
    if (request.epoch > role.epoch || role.leader !== request.leader) {
      this.take({ ...role, leader: request.leader, epoch: request.epoch, history: request.history });
    }
    return undefined;
  }

  /**
   * Whether this replica may take an append: a follower may not, nor may a leader with fewer
   * in-sync replicas than `acks: "all"` needs. The role is checked with the Controller once per
   * start of this object before it leads. Undefined when it may.
   */
  async admit(acks: AppendRequest["acks"], minInsyncReplicas: number): Promise<Failure | undefined> {
    if (this.current && !this.confirmed) await this.refresh();
    const role = this.current;
    if (!role) return undefined;
    if (role.leader !== role.replica) return notLeader(`replica ${role.replica} is a follower`, role);
    if (acks === "all" && role.isr.length < minInsyncReplicas) {
      return notEnoughReplicas(role, minInsyncReplicas, false);
    }
    return undefined;
  }

  /** Stops copying to the followers (the role stays). */
  stop(): void {
    this.copying?.stop();
    this.copying = null;
  }

  /** Applies the role again after a stop: a leader starts copying afresh. */
  resume(): void {
    if (this.current) this.apply(this.current);
  }

  /**
   * For `acks: "all"` on a replicated partition: waits until every in-sync replica holds the
   * records below `end`. Undefined when they do (or nothing needs waiting), else the failure.
   */
  async replicated(acks: AppendRequest["acks"], end: number, config: TopicConfig): Promise<Failure | undefined> {
    const replication = this.copying;
    if (acks !== "all" || !replication) return undefined;
    const lagMs = config.replicaLagTimeMs ?? DEFAULT_REPLICA_LAG_MS;
    const reached = await replication.waitFor(end, lagMs + 500);
    const role = this.current;
    if (!role || role.leader !== role.replica) {
      return notLeader("this replica stopped leading before the records were replicated", role);
    }
    if (reached && role.isr.length >= config.minInsyncReplicas) return undefined;
    return notEnoughReplicas(role, config.minInsyncReplicas, true);
  }

  private apply(role: ReplicaRole): void {
    const wasLeading = this.copying !== null && this.current?.epoch === role.epoch;
    this.current = role;
    if (role.leader !== role.replica || role.replicas < 2) {
      this.stop();
      return;
    }
    if (!wasLeading) {
      this.copying?.stop();
      this.copying = new Replication(this.replicationHost(), this.host.visibleEnd());
    }
    this.copying!.kick();
  }

  private replicationHost(): ReplicationHost {
    const ref = { ...this.host.settings()!.ref };
    delete ref.replica;
    return {
      ref,
      role: () => this.current!,
      logEnd: () => this.host.logEnd(),
      logStart: () => this.host.logStart(),
      lagMs: () => this.host.settings()?.config.replicaLagTimeMs ?? DEFAULT_REPLICA_LAG_MS,
      follower: (replica: number) => partitionStub(this.env, { ...ref, replica }),
      readForReplica: (from: number, end: number, maxBytes: number) => this.host.readForReplica(from, end, maxBytes),
      advance: (hw: number) => this.host.advance(hw),
      alterIsr: async (isr: number[]) => {
        const role = this.current!;
        const answer = (await controllerStub(this.env)
          .alterIsr({ ...ref, replica: role.replica }, role.epoch, isr)
          .catch(() => null)) as Result<{ role: ReplicaRole }> | null;
        if (!answer) return;
        if (answer.ok) this.take(answer.role);
        else await this.refresh();
      },
      deposed: () => this.refresh(),
    };
  }
}
