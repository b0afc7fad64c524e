/**
 * Log compaction, as pure functions (Kafka's semantics). A compacted partition keeps the latest
 * record of each key: the log is cleaned from its start in offset order, and each record seen
 * removes the one its key had before. Offsets never change, so a compacted log has gaps. A
 * record whose value is null is a tombstone: it removes its key's older records, and is itself
 * removed once its timestamp is older than deleteRetentionMs. Records without a key (left from
 * before the topic was compacted; compacted topics refuse new ones) are removed, as Kafka's
 * cleaner does.
 *
 * The partition remembers, per key, the offset of its latest record in the part already cleaned
 * (`keys`, see store.ts) and how far cleaning got (`cleanedTo`); each slice examines the next
 * few thousand records and says what goes. Given the same log and the same time, every replica
 * decides the same, so followers compact on their own and converge on the leader's log.
 */

/** A record as compaction sees it. */
export interface CompactionRow {
  offset: number;
  key: string | null;
  keyBase64: string | null;
  /** Whether the value is JSON null. */
  tombstone: boolean;
  /** The record's timestamp (its own, else its append time). */
  timestamp: number;
}

/** The latest record of a key in the cleaned part of the log. */
export interface LatestOfKey {
  offset: number;
  /** The tombstone's timestamp when the latest record is one, else null. */
  tombstoneTs: number | null;
}

/** What one slice changes. */
export interface SlicePlan {
  /** Offsets whose records go: older records of a key, records without a key, expired tombstones. */
  remove: number[];
  /** Keys whose latest record changed: [key id, offset, tombstone timestamp or null]. */
  upsert: [string, number, number | null][];
  /** Keys that no longer have a record (their tombstone went). */
  forget: string[];
}

/** Slices of this many records at most, so that one never holds the object for long. */
export const SLICE_RECORDS = 4_000;
/** Kafka's min.cleanable.dirty.ratio: cleaning starts once this share of the log is uncleaned. */
export const MIN_CLEANABLE_RATIO = 0.5;
/** ...and at least this many bytes are, so that a small partition is not cleaned on every append. */
export const MIN_DIRTY_BYTES = 256 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A key's identity: its bytes. A key given as text and the same bytes given as base64 are the
 * same key. Text is compared as text ("t:" + the key); base64 whose bytes are UTF-8 text becomes
 * that text, and any other bytes are compared as canonical base64 ("b:" + base64). Null when the
 * record has no key.
 */
export function keyId(key: string | null, keyBase64: string | null): string | null {
  if (key !== null) return `t:${key}`;
  if (keyBase64 === null) return null;
  let binary: string;
  try {
    binary = atob(keyBase64);
  } catch {
    return `b:${keyBase64}`;
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  try {
    return `t:${utf8.decode(bytes)}`;
  } catch {
    return `b:${btoa(binary)}`;
  }
}

/** The key id of each row (null for a row without a key). */
export function keyIds(rows: readonly CompactionRow[]): (string | null)[] {
  return rows.map((r) => keyId(r.key, r.keyBase64));
}

/**
 * Plans one slice: `rows` are the next records of the uncleaned part, in offset order, `ids`
 * their key ids (keyIds); `previous` holds the cleaned part's latest record of each key the rows
 * name (absent: none). Tombstones with a timestamp below `tombstoneCutoff` go at once.
 */
export function planSlice(
  rows: readonly CompactionRow[],
  ids: readonly (string | null)[],
  previous: ReadonlyMap<string, LatestOfKey>,
  tombstoneCutoff: number,
): SlicePlan {
  const remove: number[] = [];
  // The slice's own changes; null: the key's record went (an expired tombstone).
  const latest = new Map<string, LatestOfKey | null>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const id = ids[i] ?? null;
    if (id === null) {
      remove.push(row.offset);
      continue;
    }
    const before = latest.has(id) ? latest.get(id) : previous.get(id);
    if (before) remove.push(before.offset);
    if (row.tombstone && row.timestamp < tombstoneCutoff) {
      remove.push(row.offset);
      latest.set(id, null);
    } else {
      latest.set(id, { offset: row.offset, tombstoneTs: row.tombstone ? row.timestamp : null });
    }
  }
  const upsert: SlicePlan["upsert"] = [];
  const forget: string[] = [];
  for (const [id, l] of latest) {
    if (l) upsert.push([id, l.offset, l.tombstoneTs]);
    else if (previous.has(id)) forget.push(id);
  }
  remove.sort((a, b) => a - b);
  return { remove, upsert, forget };
}

/** Whether enough of the log is uncleaned for a compaction to be worth starting now (Kafka's dirty ratio). */
export function dirtyEnough(dirtyBytes: number, totalBytes: number): boolean {
  return dirtyBytes >= MIN_DIRTY_BYTES && dirtyBytes >= MIN_CLEANABLE_RATIO * totalBytes;
}

/**
 * When compaction should next run, given the uncleaned part: now when it is dirty enough or
 * older than maxCompactionLagMs, else when its first batch turns maxCompactionLagMs old; null
 * when nothing is uncleaned. minCompactionLagMs is applied by the slices (they stop before
 * records younger than it), and by `cleanableAt`.
 */
export function compactionDue(
  dirty: { bytes: number; totalBytes: number; firstMaxTimestamp: number | null },
  maxCompactionLagMs: number,
  now: number,
): number | null {
  if (dirty.bytes === 0 || dirty.firstMaxTimestamp === null) return null;
  if (dirtyEnough(dirty.bytes, dirty.totalBytes)) return now;
  if (maxCompactionLagMs === -1) return null;
  return Math.max(now, dirty.firstMaxTimestamp + maxCompactionLagMs);
}
