/**
 * Window specifications and their math, as pure functions: which windows an event time falls
 * in, and when a window closes. Time windows are half-open, `[start, end)`, aligned to the
 * epoch, so a record at the boundary millisecond belongs to the window that starts there and to
 * no other tumbling window. A window closes when stream time (the highest event time the task
 * has seen) reaches `end + grace`; records for a closed window are late.
 */

/** A time window's bounds: `start` inclusive, `end` exclusive (sessions: both inclusive). */
export interface WindowBounds {
  start: number;
  end: number;
}

/** The key of a windowed aggregate: the grouping key and the window it belongs to. */
export interface Windowed<K> {
  key: K;
  start: number;
  end: number;
}

function checkMs(name: string, ms: number, min: number): number {
  if (!Number.isSafeInteger(ms) || ms < min) {
    throw new RangeError(`${name} must be an integer number of milliseconds >= ${min}, got ${ms}`);
  }
  return ms;
}

/**
 * Fixed-size windows: tumbling (`TimeWindows.of(size)`) or hopping (`.advanceBy(hop)`).
 *
 * @example
 * TimeWindows.of(60_000).grace(10_000);                // one-minute tumbling windows
 * TimeWindows.of(60_000).advanceBy(10_000).grace(0);   // one-minute windows every 10 s
 */
export class TimeWindows {
  readonly kind = "time";

  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  /** Tumbling windows of `sizeMs`, with no grace period until `.grace()` says otherwise. */
  static of(sizeMs: number): TimeWindows {
    checkMs("window size", sizeMs, 1);
    return new TimeWindows(sizeMs, sizeMs, 0);
  }

  /** Hopping windows: a new window every `advanceMs` (at most the size). */
  advanceBy(advanceMs: number): TimeWindows {
    checkMs("window advance", advanceMs, 1);
    if (advanceMs > this.sizeMs) {
      throw new RangeError(`window advance ${advanceMs} ms must not exceed the window size ${this.sizeMs} ms`);
    }
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** How long after a window's end records for it are still accepted. */
  grace(graceMs: number): TimeWindows {
    return new TimeWindows(this.sizeMs, this.advanceMs, checkMs("grace period", graceMs, 0));
  }

  /** Every window containing event time `t`, oldest first. */
  windowsFor(t: number): WindowBounds[] {
    const out: WindowBounds[] = [];
    // The newest window containing t starts at the last multiple of advance at or before t.
    const newest = Math.floor(t / this.advanceMs) * this.advanceMs;
    // As in Kafka, no window starts before the epoch.
    for (let start = newest; start > t - this.sizeMs && start >= 0; start -= this.advanceMs) {
      out.unshift({ start, end: start + this.sizeMs });
    }
    return out;
  }

  /** The stream time at which a window ending at `end` closes. */
  closesAt(end: number): number {
    return end + this.graceMs;
  }
}

/**
 * Session windows: a key's records closer than `gapMs` to each other form one session;
 * a record between two sessions merges them.
 *
 * @example
 * SessionWindows.withGap(30_000).grace(5_000);
 */
export class SessionWindows {
  readonly kind = "session";

  private constructor(
    readonly gapMs: number,
    readonly graceMs: number,
  ) {}

  static withGap(gapMs: number): SessionWindows {
    return new SessionWindows(checkMs("session gap", gapMs, 1), 0);
  }

  grace(graceMs: number): SessionWindows {
    return new SessionWindows(this.gapMs, checkMs("grace period", graceMs, 0));
  }

  /**
   * A session `[start, end]` closes once no record can extend it any more (its gap has passed)
   * and the grace period after that is over.
   */
  closesAt(end: number): number {
    return end + this.gapMs + this.graceMs;
  }

  /** Whether a record at `t` would join (or merge) the session `w`. */
  touches(w: WindowBounds, t: number): boolean {
    return w.end >= t - this.gapMs && w.start <= t + this.gapMs;
  }
}

export type WindowSpec = TimeWindows | SessionWindows;

/** Whether a window has closed at stream time `streamTime`. */
export function isClosed(spec: WindowSpec, end: number, streamTime: number): boolean {
  return spec.closesAt(end) <= streamTime;
}

/** The session a record at `t` forms together with the open sessions it touches. */
export function mergeSessions(sessions: readonly WindowBounds[], t: number): WindowBounds {
  let start = t;
  let end = t;
  for (const s of sessions) {
    if (s.start < start) start = s.start;
    if (s.end > end) end = s.end;
  }
  return { start, end };
}

/**
 * The window of a stream–stream join: a left record at `t` joins the right records of the same
 * key whose timestamps are in `[t - before, t + after]` (both ends included), and no other. A
 * side's record waits for its matches until stream time has passed the end of its window plus
 * the grace period; after that, a left or outer join emits it unmatched (Kafka Streams 3.x).
 *
 * @example
 * JoinWindows.ofTimeDifferenceAndGrace(5 * 60_000, 30_000);     // within five minutes either way
 * JoinWindows.ofTimeDifferenceWithNoGrace(10_000).before(0);    // right records up to 10 s after the left
 */
export class JoinWindows {
  readonly kind = "join";

  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {}

  /** Records at most `differenceMs` apart join; nothing later than stream time allows is waited for. */
  static ofTimeDifferenceWithNoGrace(differenceMs: number): JoinWindows {
    checkMs("join time difference", differenceMs, 0);
    return new JoinWindows(differenceMs, differenceMs, 0);
  }

  /** Records at most `differenceMs` apart join; a record may arrive up to `graceMs` out of order. */
  static ofTimeDifferenceAndGrace(differenceMs: number, graceMs: number): JoinWindows {
    checkMs("join time difference", differenceMs, 0);
    return new JoinWindows(differenceMs, differenceMs, checkMs("grace period", graceMs, 0));
  }

  /** How long before a left record a right record may be and still join it. */
  before(beforeMs: number): JoinWindows {
    return new JoinWindows(checkMs("join window before", beforeMs, 0), this.afterMs, this.graceMs);
  }

  /** How long after a left record a right record may be and still join it. */
  after(afterMs: number): JoinWindows {
    return new JoinWindows(this.beforeMs, checkMs("join window after", afterMs, 0), this.graceMs);
  }
}
