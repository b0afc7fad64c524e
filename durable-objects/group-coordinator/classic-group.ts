/**
 * The classic protocol's calls that wait: a JoinGroup is answered when the rebalance completes,
 * a follower's SyncGroup when the leader's assignment arrives. The GroupCoordinator owns one
 * ClassicGroups; the state machine is classic.ts, the waiting (and the rebalance timeout's
 * timer) is here. Waiting calls live in memory: if the object restarts, they end with the
 * connection, and the clients join again, as they do when a Kafka broker goes away.
 */
import type {
  ClassicHeartbeat,
  ClassicJoin,
  ClassicJoinAnswer,
  ClassicLeave,
  ClassicLeaveAnswer,
  ClassicSync,
} from "../../cluster/rpc/group-coordinator.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import {
  applyAssignments,
  type ClassicGroup,
  completeJoin,
  expiredClassicMembers,
  type FenceCode,
  fence,
  join,
  joinAnswer,
  joinComplete,
  removeMembers,
} from "./classic.ts";

export interface ClassicHost {
  /** Persists the group after a change. */
  save(group: ClassicGroup): void;
  /** (Re)schedules the alarm that expires sessions. */
  schedule(): Promise<void>;
}

type Waiter<T> = (answer: Result<T>) => void;

export class ClassicGroups {
  private readonly joins = new Map<string, Waiter<ClassicJoinAnswer>>();
  private readonly syncs = new Map<
    string,
    Waiter<{ protocolType: string | null; protocolName: string | null; assignment: string }>
  >();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly group: ClassicGroup,
    private readonly name: () => string,
    private readonly host: ClassicHost,
  ) {}

  get empty(): boolean {
    return this.group.members.size === 0;
  }

  async join(request: ClassicJoin): Promise<Result<ClassicJoinAnswer>> {
    const g = this.group;
    const now = Date.now();
    const step = join(
      g,
      { ...request, groupInstanceId: request.groupInstanceId ?? null },
      () => crypto.randomUUID(),
      now,
    );
    if (step.kind === "error") return this.fenced(step.code, request.memberId);
    if (step.kind === "member-id-required") {
      return failure(
        "MEMBER_ID_REQUIRED",
        `group '${this.name()}' gave this member the id '${step.memberId}': join again with it`,
        { memberId: step.memberId },
      );
    }
    this.host.save(g);
    await this.host.schedule();
    if (step.kind === "answer") return { ok: true, ...joinAnswer(g, step.memberId) };
    // A second join of the same member (a client's retry) replaces the first.
    this.joins.get(step.memberId)?.(this.fenced("REBALANCE_IN_PROGRESS", step.memberId));
    this.endSyncs();
    const answer = new Promise<Result<ClassicJoinAnswer>>((resolve) => this.joins.set(step.memberId, resolve));
    this.tryComplete();
    return answer;
  }

  async sync(
    request: ClassicSync,
  ): Promise<Result<{ protocolType: string | null; protocolName: string | null; assignment: string }>> {
    const g = this.group;
    const refused = fence(g, request.memberId, request.generation, request.groupInstanceId ?? null);
    if (refused) return this.fenced(refused, request.memberId);
    if (
      (request.protocolType != null && request.protocolType !== g.protocolType) ||
      (request.protocolName != null && request.protocolName !== g.protocolName)
    ) {
      return this.fenced("INCONSISTENT_GROUP_PROTOCOL", request.memberId);
    }
    g.members.get(request.memberId)!.lastSeen = Date.now();
    const answerOf = (memberId: string) => ({
      ok: true as const,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      assignment: g.members.get(memberId)?.assignment ?? "",
    });
    if (g.state === "Stable") return answerOf(request.memberId);
    if (g.leader === request.memberId) {
      applyAssignments(g, request.assignments);
      this.host.save(g);
      for (const [memberId, resolve] of this.syncs) resolve(answerOf(memberId));
      this.syncs.clear();
      return answerOf(request.memberId);
    }
    this.syncs.get(request.memberId)?.(this.fenced("REBALANCE_IN_PROGRESS", request.memberId));
    return new Promise((resolve) => this.syncs.set(request.memberId, resolve));
  }

  heartbeat(request: ClassicHeartbeat): Result<object> {
    const refused = fence(this.group, request.memberId, request.generation, request.groupInstanceId ?? null);
    if (refused) return this.fenced(refused, request.memberId);
    this.group.members.get(request.memberId)!.lastSeen = Date.now();
    return { ok: true };
  }

  async leave(request: ClassicLeave): Promise<Result<ClassicLeaveAnswer>> {
    const g = this.group;
    const members = request.members.map((m) => {
      const byInstance = m.groupInstanceId
        ? [...g.members.values()].find((x) => x.groupInstanceId === m.groupInstanceId)
        : undefined;
      const memberId = byInstance?.memberId ?? m.memberId;
      return g.members.has(memberId)
        ? { memberId, groupInstanceId: m.groupInstanceId ?? null }
        : { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, error: "UNKNOWN_MEMBER_ID" as const };
    });
    const leaving = members.filter((m) => !("error" in m)).map((m) => m.memberId);
    for (const id of leaving) this.joins.get(id)?.(this.fenced("UNKNOWN_MEMBER_ID", id));
    this.changeMembers(leaving);
    return { ok: true, members };
  }

  /** From the alarm: members whose session ended leave; a rebalance past its time completes. */
  async expire(now: number): Promise<void> {
    const expired = expiredClassicMembers(this.group, now);
    if (expired.length > 0) this.changeMembers(expired);
    else this.tryComplete();
  }

  /** Fencing of a commit from a classic member (Kafka's coordinator checks no more than this). */
  fenceCommit(memberId: string, generation: number, groupInstanceId?: string | null): Failure | undefined {
    const code = fence(this.group, memberId, generation, groupInstanceId ?? null, true);
    return code ? this.fenced(code, memberId) : undefined;
  }

  private changeMembers(memberIds: readonly string[]): void {
    if (memberIds.length === 0) return;
    removeMembers(this.group, memberIds, Date.now());
    this.endSyncs();
    this.host.save(this.group);
    this.tryComplete();
    void this.host.schedule();
  }

  /** Completes the rebalance when every member joined (or its time is up), answering the joins. */
  private tryComplete(): void {
    const g = this.group;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (g.state !== "PreparingRebalance") return;
    if (!joinComplete(g, Date.now())) {
      const wait = Math.max(0, (g.rebalanceDeadline ?? Date.now()) - Date.now());
      this.timer = setTimeout(() => this.tryComplete(), wait + 1);
      return;
    }
    const gone = completeJoin(g, Date.now());
    this.host.save(g);
    for (const id of gone) {
      this.joins.get(id)?.(this.fenced("UNKNOWN_MEMBER_ID", id));
      this.joins.delete(id);
    }
    for (const [memberId, resolve] of this.joins) resolve({ ok: true, ...joinAnswer(g, memberId) });
    this.joins.clear();
    void this.host.schedule();
  }

  /** A new rebalance: followers waiting for an assignment of the old generation are told so. */
  private endSyncs(): void {
    for (const [memberId, resolve] of this.syncs) resolve(this.fenced("REBALANCE_IN_PROGRESS", memberId));
    this.syncs.clear();
  }

  private fenced(code: FenceCode | "INCONSISTENT_GROUP_PROTOCOL", memberId: string): Failure {
    const g = this.group;
    const group = this.name();
    switch (code) {
      case "UNKNOWN_MEMBER_ID":
        return failure(
          "UNKNOWN_MEMBER_ID",
          `member '${memberId}' is not in group '${group}': join again without a member id`,
          {
            group,
            memberId,
          },
        );
      case "ILLEGAL_GENERATION":
        return failure(
          "ILLEGAL_GENERATION",
          `group '${group}' is at generation ${g.generation}: member '${memberId}' must join again`,
          { group, generation: g.generation, memberId },
        );
      case "REBALANCE_IN_PROGRESS":
        return failure(
          "REBALANCE_IN_PROGRESS",
          `group '${group}' is rebalancing: join again with member id '${memberId}'`,
          {
            group,
            generation: g.generation,
            memberId,
          },
        );
      case "FENCED_INSTANCE_ID":
        return failure(
          "FENCED_INSTANCE_ID",
          `member '${memberId}' was replaced by a newer member with the same group instance id in group '${group}'`,
          { group, memberId },
        );
      case "INCONSISTENT_GROUP_PROTOCOL":
        return failure(
          "INCONSISTENT_GROUP_PROTOCOL",
          `group '${group}' uses protocol type '${g.protocolType}' with protocols its members all support; this member's do not match`,
          { group, protocolType: g.protocolType, protocolName: g.protocolName },
        );
    }
  }
}
