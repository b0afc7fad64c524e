/**
 * Test-only fault injection, in one place: whether it is on (the TRIBUTARY_FAULTS variable is
 * "1": the tests set it, wrangler.toml never does), the refusal when it is off, a partition
 * replica's faults (unavailable or slow), and the crash points of a stream task and of a
 * partition's compaction and tiering. Whether it is on is cluster/faults.ts's question, which the
 * worker's `POST /v1/_test/faults` route (worker/routes/faults.ts) asks too.
 */
import type { FaultSpec } from "../../cluster/rpc/partition-log.ts";
import type { FaultPoint } from "../../cluster/rpc/stream-task.ts";
import { type Failure, failure } from "../../sdk/protocol/errors.ts";

export { faultsEnabled } from "../../cluster/faults.ts";

/** The answer of an object asked to inject a fault while fault injection is off. */
export function faultInjectionOff(): Failure {
  return failure("INVALID_REQUEST", "fault injection is off: it needs TRIBUTARY_FAULTS=1 (tests only)");
}

/** Where a replica's faults are kept, so they outlive a restart of its object. */
export interface FaultMeta {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

/** A partition replica's injected faults: an unavailable replica fails every call, a slow one waits. */
export class ReplicaFaults {
  private spec: FaultSpec = {};

  constructor(private readonly meta: FaultMeta) {}

  /** Takes up the faults kept before a restart (once the storage is migrated). */
  load(): void {
    const kept = this.meta.getMeta("faults");
    if (kept) this.spec = JSON.parse(kept) as FaultSpec;
  }

  /** Keeps `spec` (without `restart`, which happens once) and answers what is kept. */
  set(spec: FaultSpec): FaultSpec {
    const { restart: _, ...faults } = spec;
    this.spec = faults;
    this.meta.setMeta("faults", JSON.stringify(faults));
    return faults;
  }

  /** Every call to the replica passes here first. */
  async gate(): Promise<void> {
    if (this.spec.delayMs) await new Promise((r) => setTimeout(r, this.spec.delayMs));
    if (this.spec.unavailable) throw new Error("this replica is unavailable (fault injected by a test)");
  }
}

/** Thrown at an armed crash point; the object then aborts itself, as a real crash would. */
export class InjectedCrash extends Error {}

/**
 * Crash points armed by a test (a stream task's, or a partition's storage steps): the next time
 * the object passes the armed one, it crashes once.
 */
export class CrashPoints<P extends string = FaultPoint> {
  private armed: P | null = null;

  arm(point: P): void {
    this.armed = point;
  }

  /** Throws an InjectedCrash (and disarms) when `point` is the armed one. */
  pass(point: P): void {
    if (this.armed !== point) return;
    this.armed = null;
    throw new InjectedCrash(`injected crash ${point}`);
  }
}
