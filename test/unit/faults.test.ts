import { describe, expect, it } from "vitest";
import {
  CrashPoints,
  faultInjectionOff,
  faultsEnabled,
  InjectedCrash,
  ReplicaFaults,
} from "../../durable-objects/shared/faults.ts";

function memoryMeta() {
  const kept = new Map<string, string>();
  return { kept, getMeta: (k: string) => kept.get(k), setMeta: (k: string, v: string) => void kept.set(k, v) };
}

describe("fault injection", () => {
  it("is on only when TRIBUTARY_FAULTS is exactly 1", () => {
    expect(faultsEnabled({ TRIBUTARY_FAULTS: "1" })).toBe(true);
    expect(faultsEnabled({ TRIBUTARY_FAULTS: "true" })).toBe(false);
    expect(faultsEnabled({})).toBe(false);
  });

  it("refuses with INVALID_REQUEST naming the variable to set", () => {
    expect(faultInjectionOff()).toMatchObject({
      ok: false,
      code: "INVALID_REQUEST",
      message: expect.stringContaining("TRIBUTARY_FAULTS=1"),
    });
  });
});

describe("ReplicaFaults", () => {
  it("keeps faults without the one-off restart, and takes them up again after a restart", async () => {
    const meta = memoryMeta();
    const faults = new ReplicaFaults(meta);
    expect(faults.set({ unavailable: true, restart: true })).toEqual({ unavailable: true });
    await expect(faults.gate()).rejects.toThrow("this replica is unavailable (fault injected by a test)");
    const restarted = new ReplicaFaults(meta);
    await expect(restarted.gate()).resolves.toBeUndefined();
    restarted.load();
    await expect(restarted.gate()).rejects.toThrow("unavailable");
  });

  it("delays every call of a slow replica", async () => {
    const faults = new ReplicaFaults(memoryMeta());
    faults.set({ delayMs: 30 });
    const started = Date.now();
    await faults.gate();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    faults.set({});
    await expect(faults.gate()).resolves.toBeUndefined();
  });
});

describe("CrashPoints", () => {
  it("crashes once at the armed point and passes every other one", () => {
    const crashes = new CrashPoints();
    crashes.pass("before-commit");
    crashes.arm("after-commit");
    crashes.pass("before-commit");
    expect(() => crashes.pass("after-commit")).toThrow(InjectedCrash);
    crashes.pass("after-commit");
  });
});
