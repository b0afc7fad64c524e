import { describe, expect, it } from "vitest";
import { isClosed, mergeSessions, SessionWindows, TimeWindows } from "../../sdk/streams/windows.ts";

describe("time windows", () => {
  it("puts a record at the boundary millisecond in exactly one tumbling window, the one starting there", () => {
    const w = TimeWindows.of(60_000);
    expect(w.windowsFor(120_000)).toEqual([{ start: 120_000, end: 180_000 }]);
    expect(w.windowsFor(119_999)).toEqual([{ start: 60_000, end: 120_000 }]);
    expect(w.windowsFor(0)).toEqual([{ start: 0, end: 60_000 }]);
  });

  it("gives each record size/advance overlapping hopping windows", () => {
    const w = TimeWindows.of(60_000).advanceBy(20_000);
    expect(w.windowsFor(65_000)).toEqual([
      { start: 20_000, end: 80_000 },
      { start: 40_000, end: 100_000 },
      { start: 60_000, end: 120_000 },
    ]);
    // At a hop boundary the window ending there is excluded and the one starting there included.
    expect(w.windowsFor(80_000)).toEqual([
      { start: 40_000, end: 100_000 },
      { start: 60_000, end: 120_000 },
      { start: 80_000, end: 140_000 },
    ]);
  });

  it("closes a window when stream time reaches end + grace, not a millisecond before", () => {
    const w = TimeWindows.of(1000).grace(200);
    expect(isClosed(w, 1000, 1199)).toBe(false);
    expect(isClosed(w, 1000, 1200)).toBe(true);
  });

  it("rejects sizes, advances and grace periods out of range, naming them", () => {
    expect(() => TimeWindows.of(0)).toThrow(/window size/);
    expect(() => TimeWindows.of(1000).advanceBy(2000)).toThrow(/must not exceed the window size/);
    expect(() => TimeWindows.of(1000).grace(-1)).toThrow(/grace period/);
    expect(() => SessionWindows.withGap(1.5)).toThrow(/session gap/);
  });
});

describe("session windows", () => {
  it("joins a record within the gap of a session and merges two sessions it bridges", () => {
    const s = SessionWindows.withGap(100);
    expect(s.touches({ start: 0, end: 50 }, 150)).toBe(true);
    expect(s.touches({ start: 0, end: 50 }, 151)).toBe(false);
    expect(
      mergeSessions(
        [
          { start: 0, end: 50 },
          { start: 200, end: 260 },
        ],
        140,
      ),
    ).toEqual({ start: 0, end: 260 });
  });

  it("closes a session once its gap and grace have passed after its last record", () => {
    const s = SessionWindows.withGap(100).grace(10);
    expect(isClosed(s, 50, 159)).toBe(false);
    expect(isClosed(s, 50, 160)).toBe(true);
  });
});
