/**
 * Leader failover of replicated partitions: when someone cannot reach a leader, the Controller
 * checks it, and if it does not answer either, an in-sync follower becomes the leader of the
 * next epoch. Every replica is then told its new role; those that do not answer are retried by
 * the Controller's alarm until they have heard. The rules are in leader-state.ts.
 */
import type { PartitionLeader, TopicMeta } from "../../cluster/rpc/controller.ts";
import type { PartitionRef } from "../../cluster/rpc/partition-log.ts";
import { partitionStub } from "../../cluster/stubs.ts";
import { failure, type Result } from "../../sdk/protocol/errors.ts";
import { candidates, type LeaderState, othersThan, roleOf, successor } from "./leader-state.ts";
import type { ControllerStore } from "./store.ts";

/** How long the Controller waits for a replica to answer a health check or a role change. */
const REPLICA_TIMEOUT_MS = 1_500;
/** How often the Controller retries telling replicas their role. */
const ROLE_RETRY_MS = 1_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Elections {
  /** Elections in progress, per partition: concurrent reports of one failure share one. */
  private readonly running = new Map<string, Promise<Result<PartitionLeader>>>();

  constructor(
    private readonly env: Env,
    private readonly store: ControllerStore,
    private readonly storage: Pick<DurableObjectStorage, "setAlarm">,
  ) {}

  /** Checks the leader of `epoch` and elects another if it does not answer (see Controller.leaderFailed). */
  leaderFailed(ref: PartitionRef, epoch: number): Promise<Result<PartitionLeader>> {
    const key = `${ref.topic}/${ref.partition}`;
    const running = this.running.get(key);
    if (running) return running;
    const election = this.elect(ref, epoch).finally(() => this.running.delete(key));
    this.running.set(key, election);
    return election;
  }

  /** Retries telling replicas their current role (those that were unreachable when it changed). */
  async retryPendingRoles(): Promise<void> {
    for (const { topic: name, partition, state } of this.store.pendingRoles()) {
      const topic = this.store.topic(name);
      if (!topic) continue;
      await this.pushRoles(topic, partition, state);
    }
    await this.scheduleRoleRetry();
  }

  private async elect(ref: PartitionRef, epoch: number): Promise<Result<PartitionLeader>> {
    const topic = this.store.topic(ref.topic);
    const state = this.store.leader(ref.topic, ref.partition);
    if (!topic || topic.id !== ref.topicId || !state) {
      return failure("UNKNOWN_TOPIC_OR_PARTITION", `partition ${ref.partition} of '${ref.topic}' does not exist`);
    }
    const current = { leader: state.leader, epoch: state.epoch, isr: state.isr };
    if (state.epoch !== epoch) return { ok: true, ...current };
    const stub = (replica: number) => partitionStub(this.env, { ...ref, replica });
    const alive = await withTimeout(stub(state.leader).ping(), REPLICA_TIMEOUT_MS).then(
      (p) => p.epoch === state.epoch,
      () => false,
    );
    if (alive) return { ok: true, ...current };
    const rf = topic.replicationFactor;
    for (const candidate of candidates(state)) {
      try {
        const { logEndOffset } = await withTimeout(stub(candidate).ping(), REPLICA_TIMEOUT_MS);
        const next = successor(state, candidate, logEndOffset);
        const taken = await withTimeout(stub(candidate).setRole(roleOf(next, candidate, rf)), REPLICA_TIMEOUT_MS);
        if (!taken.ok) continue;
        next.pending = othersThan(candidate, rf);
        this.store.saveLeader(ref.topic, ref.partition, next);
        console.log(
          `${ref.topic}/${ref.partition}: replica ${candidate} leads epoch ${next.epoch} from offset ${logEndOffset}`,
        );
        await this.pushRoles(topic, ref.partition, next);
        await this.scheduleRoleRetry();
        return { ok: true, leader: next.leader, epoch: next.epoch, isr: next.isr };
      } catch {
        // This candidate is unreachable too: try the next in-sync replica.
      }
    }
    return failure(
      "LEADER_NOT_AVAILABLE",
      `the leader of partition ${ref.partition} of '${ref.topic}' is unreachable and no in-sync replica could take over`,
      { leader: state.leader, leaderEpoch: state.epoch, isr: state.isr },
    );
  }

  /** Tells the replicas still pending their role; those that do not answer stay pending. */
  private async pushRoles(topic: TopicMeta, partition: number, state: LeaderState): Promise<void> {
    const ref = { topic: topic.name, topicId: topic.id, partition };
    const missed: number[] = [];
    await Promise.all(
      state.pending.map(async (replica) => {
        const answer = await withTimeout(
          partitionStub(this.env, { ...ref, replica }).setRole(roleOf(state, replica, topic.replicationFactor)),
          REPLICA_TIMEOUT_MS,
        ).catch(() => null);
        if (!answer) missed.push(replica);
      }),
    );
    // Only if no newer election replaced this state meanwhile.
    this.store.setPending(topic.name, partition, state.epoch, missed.sort());
  }

  private async scheduleRoleRetry(): Promise<void> {
    if (this.store.countPendingRoles() > 0) await this.storage.setAlarm(Date.now() + ROLE_RETRY_MS);
  }
}
