/**
 * A partition's R2 tier: the segments holding its records below the local start (the manifest,
 * also kept in memory), reads from them (through the segment cache), and the steps that change
 * them, each crash-safe:
 *
 * - Upload: the object's name is noted as pending, the object is put, the manifest names it
 *   (and the name stops being pending), then the local rows go. A crash before the manifest
 *   leaves a pending object, deleted on the next run; a crash before the local delete leaves
 *   rows the manifest covers, deleted on the next run (reads take them from SQLite meanwhile,
 *   so nothing is read twice).
 * - Rewrite (compaction removed half of a segment): the same, under a new name; the manifest then
 *   names the new object and the old name becomes pending.
 * - Removal (retention, DeleteRecords, a deleted topic): the manifest forgets the segment and its
 *   name becomes pending, in the same transaction as the log start moves; then the object goes.
 *
 * Each replica tiers its own copy under its own names (tiering.ts), so a failover needs nothing
 * from R2 that the new leader did not write itself.
 */
import type { BatchRow, PartitionRef, StorageCrashPoint } from "../../cluster/rpc/partition-log.ts";
import { utf8Length } from "../../cluster/stored-records.ts";
import type { CompactionRow } from "./compaction.ts";
import type { Manifest, ManifestEntry } from "./manifest.ts";
import type { Page, RenderRow } from "./render.ts";
import { decodeSegment, encodeSegment, firstAtOrAfter, type Segment, type SegmentRow } from "./segment.ts";
import { SegmentCache } from "./segment-cache.ts";
import type { LogBounds, PartitionStore } from "./store.ts";
import { segmentKey, type UploadPlan } from "./tiering.ts";

/** What the PartitionLog gives its tier. */
export interface TierHost {
  storage: DurableObjectStorage;
  store: PartitionStore;
  bounds: LogBounds;
  /** Which partition replica this is, once configured. */
  ref(): PartitionRef | undefined;
  deleted(): boolean;
  /** A test's crash point (TRIBUTARY_FAULTS=1 only). */
  crash(point: StorageCrashPoint): void;
}

/** Thrown when a read found its segment gone (retention removed it meanwhile). */
export class SegmentGone extends Error {}

export class Tier {
  private entries: ManifestEntry[] = [];
  private pendingCount = 0;
  readonly cache = new SegmentCache();

  constructor(
    private readonly bucket: R2Bucket | undefined,
    private readonly manifest: Manifest,
    private readonly host: TierHost,
  ) {}

  /** Whether the deployment has the R2 binding (LOG_SEGMENTS in wrangler.toml). */
  get available(): boolean {
    return this.bucket !== undefined;
  }

  get segments(): readonly ManifestEntry[] {
    return this.entries;
  }

  /** Reads the manifest again (after every change to it). */
  load(): void {
    this.entries = this.manifest.entries();
    this.pendingCount = this.manifest.pending().length;
  }

  /**
   * A page of records from `offset` (below the local start) up to `end`, from the one segment
   * holding `offset` or the next after it; `next` is where that segment ends when the page took
   * all of it.
   */
  async read(offset: number, end: number, maxRecords: number, maxBytes: number, render: RenderRow): Promise<Page> {
    const { entry, segment } = await this.segmentAt(offset);
    if (!entry || entry.baseOffset >= end) return { json: "[]", count: 0, next: end };
    const stop = Math.min(end, entry.lastOffset + 1);
    const dead = this.deadIn(entry, offset);
    const parts: string[] = [];
    let bytes = 0;
    let last = -1;
    let cut = false;
    for (let i = firstAtOrAfter(segment!, offset); i < segment!.offsets.length; i++) {
      const at = segment!.offsets[i]!;
      if (at >= stop) break;
      if (dead?.has(at)) continue;
      const data = segment!.data[i]!;
      bytes += data.length;
      if (parts.length === maxRecords || (parts.length > 0 && bytes > maxBytes)) {
        cut = true;
        break;
      }
      parts.push(render(at, segment!.timestamps[i]!, data));
      last = at;
    }
    return { json: `[${parts.join(",")}]`, count: parts.length, next: cut ? last + 1 : stop };
  }

  /** The first record at or after `timestamp` in the tier, or undefined when it holds none. */
  async offsetFor(timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    for (const entry of this.entries) {
      if (entry.maxTimestamp < timestamp || entry.lastOffset < this.host.bounds.logStartOffset) continue;
      const segment = await this.loadEntry(entry);
      const dead = this.deadIn(entry, entry.baseOffset);
      for (let i = firstAtOrAfter(segment, this.host.bounds.logStartOffset); i < segment.offsets.length; i++) {
        const at = segment.offsets[i]!;
        if (segment.timestamps[i]! >= timestamp && !dead?.has(at))
          return { offset: at, timestamp: segment.timestamps[i]! };
      }
    }
    return undefined;
  }

  /**
   * Whole batches from `from` on, from the segment holding it, as a leader sends them to a
   * follower (see PartitionStore.readForReplica): at least one batch, then more within `maxBytes`.
   */
  async forReplica(from: number, end: number, maxBytes: number): Promise<{ records: string; batches: BatchRow[] }> {
    const batches: BatchRow[] = [];
    const rows: string[] = [];
    // The segment holding `from`, or the next one with a batch in it (rewrites drop empty batches).
    for (let at = from; batches.length === 0 && at < end; ) {
      const { entry, segment } = await this.segmentAt(at);
      if (!entry || !segment) break;
      const dead = this.deadIn(entry, at);
      let bytes = 0;
      let i = firstAtOrAfter(segment, at);
      for (const b of segment.batches) {
        if (b.baseOffset < at) continue;
        if (b.lastOffset >= end || (batches.length > 0 && bytes + b.bytes > maxBytes)) break;
        let batchBytes = 0;
        for (; i < segment.offsets.length && segment.offsets[i]! <= b.lastOffset; i++) {
          const offset = segment.offsets[i]!;
          if (dead?.has(offset)) continue;
          rows.push(JSON.stringify([offset, segment.timestamps[i]!, segment.data[i]!]));
          batchBytes += utf8Length(segment.data[i]!);
        }
        bytes += b.bytes;
        batches.push(dead ? { ...b, bytes: batchBytes } : b);
      }
      at = entry.lastOffset + 1;
    }
    return { records: `[${rows.join(",")}]`, batches };
  }

  /** Records of the segment holding `from` for compaction (a log compacted after it was tiered), up to `end`. */
  async compactionRows(from: number, end: number, limit: number): Promise<{ rows: CompactionRow[]; next: number }> {
    const { entry, segment } = await this.segmentAt(from);
    if (!entry || !segment || entry.baseOffset >= end) return { rows: [], next: end };
    const stop = Math.min(end, entry.lastOffset + 1);
    const dead = this.deadIn(entry, from);
    const rows: CompactionRow[] = [];
    for (let i = firstAtOrAfter(segment, from); i < segment.offsets.length && segment.offsets[i]! < stop; i++) {
      const at = segment.offsets[i]!;
      if (dead?.has(at)) continue;
      if (rows.length === limit) return { rows, next: at };
      const r = JSON.parse(segment.data[i]!) as { key?: string; keyBase64?: string; value?: unknown };
      rows.push({
        offset: at,
        key: r.key ?? null,
        keyBase64: r.keyBase64 ?? null,
        tombstone: "value" in r && r.value === null,
        timestamp: segment.timestamps[i]!,
      });
    }
    return { rows, next: stop };
  }

  /** Compaction removed `offsets` (all in the tier): reads skip them until their segments are written again. */
  markDead(offsets: readonly number[]): void {
    let from = 0;
    while (from < offsets.length) {
      const entry = this.entryAt(offsets[from]!);
      let to = from;
      while (to < offsets.length && (!entry || offsets[to]! <= entry.lastOffset)) to++;
      const inside = entry ? offsets.slice(from, to).filter((o) => o >= entry.baseOffset) : [];
      if (entry && inside.length > 0) this.manifest.addDead(entry.baseOffset, inside);
      from = to;
    }
  }

  /**
   * Uploads the next segment: its name pending → the object → the manifest → the local rows go.
   * Answers false when the log moved meanwhile (the object is then left to be deleted).
   */
  async upload(plan: UploadPlan): Promise<boolean> {
    const { store, storage, bounds } = this.host;
    const ref = this.host.ref();
    if (!this.bucket || !ref) return false;
    const { rows, batches } = store.segmentRows(plan.baseOffset, plan.lastOffset);
    const key = this.newKey(ref, plan.baseOffset, plan.lastOffset);
    await this.bucket.put(key, encodeSegment(plan.baseOffset, plan.lastOffset, rows, batches));
    this.host.crash("after-upload");
    // DeleteRecords, a follower's copy of its leader's log start or a drop may have come meanwhile.
    if (this.host.deleted() || bounds.localStartOffset > plan.baseOffset || bounds.logStartOffset > plan.baseOffset) {
      return false;
    }
    storage.transactionSync(() => {
      this.manifest.put({
        baseOffset: plan.baseOffset,
        lastOffset: plan.lastOffset,
        maxTimestamp: plan.maxTimestamp,
        bytes: plan.bytes,
        records: rows.length,
        dead: 0,
        key,
      });
      this.manifest.removePending(key);
    });
    this.load();
    this.host.crash("after-manifest");
    this.finishLocalDelete();
    return true;
  }

  /** Writes a segment again without the records compaction removed from it (or drops it when none is left). */
  async rewrite(entry: ManifestEntry): Promise<void> {
    const ref = this.host.ref();
    if (!this.bucket || !ref) return;
    const segment = await this.loadEntry(entry);
    const dead = new Set(this.manifest.deadIn(entry.baseOffset, entry.lastOffset));
    const rows: SegmentRow[] = [];
    const bytesOf = new Map<number, number>();
    let b = 0;
    for (let i = 0; i < segment.offsets.length; i++) {
      const offset = segment.offsets[i]!;
      if (dead.has(offset)) continue;
      const data = segment.data[i]!;
      rows.push({ offset, timestamp: segment.timestamps[i]!, data });
      while (segment.batches[b] && segment.batches[b]!.lastOffset < offset) b++;
      const base = segment.batches[b]?.baseOffset ?? offset;
      bytesOf.set(base, (bytesOf.get(base) ?? 0) + utf8Length(data));
    }
    // Empty batches go, but the log's last one (a follower copying finds where the log ends).
    const finalOffset = this.host.bounds.highWatermark - 1;
    const batches = segment.batches
      .filter((x) => bytesOf.has(x.baseOffset) || x.lastOffset === finalOffset)
      .map((x) => ({ ...x, bytes: bytesOf.get(x.baseOffset) ?? 0 }));
    const bytes = batches.reduce((sum, x) => sum + x.bytes, 0);
    let key: string | undefined;
    if (batches.length > 0) {
      key = this.newKey(ref, entry.baseOffset, entry.lastOffset);
      await this.bucket.put(key, encodeSegment(entry.baseOffset, entry.lastOffset, rows, batches));
      if (this.entryAt(entry.baseOffset)?.key !== entry.key) return; // removed by retention meanwhile
    }
    this.host.storage.transactionSync(() => {
      if (key) {
        this.manifest.put({ ...entry, bytes, records: rows.length, dead: 0, key });
        this.manifest.removePending(key);
      } else {
        this.manifest.remove(entry.baseOffset);
      }
      this.manifest.addPending(entry.key);
      this.manifest.dropDead(entry.baseOffset, entry.lastOffset);
    });
    this.host.bounds.totalBytes -= entry.bytes - bytes;
    this.load();
    this.cache.drop(entry.key);
    await this.deletePending();
  }

  /**
   * The segments entirely below `offset` leave the manifest (inside the caller's transaction,
   * which moves the log start); their objects are deleted by `deletePending`. Answers their bytes.
   */
  removeBelow(offset: number): number {
    let bytes = 0;
    for (const e of this.entries) {
      if (e.lastOffset >= offset) break;
      this.manifest.remove(e.baseOffset);
      this.manifest.addPending(e.key);
      this.manifest.dropDead(e.baseOffset, e.lastOffset);
      bytes += e.bytes;
    }
    return bytes;
  }

  /** Every segment leaves the manifest, its object to be deleted (inside the caller's transaction: the topic was deleted). */
  dropAll(): void {
    this.manifest.dropAll();
  }

  /** Finishes what a crash interrupted: local rows the manifest covers go, pending objects go. */
  async recover(): Promise<void> {
    this.finishLocalDelete();
    await this.deletePending();
  }

  /** Deletes the objects the manifest does not name. */
  async deletePending(): Promise<void> {
    const named = new Set(this.entries.map((e) => e.key));
    const pending = this.manifest.pending();
    if (pending.some((k) => named.has(k))) {
      this.host.storage.transactionSync(() => {
        for (const k of pending) if (named.has(k)) this.manifest.removePending(k);
      });
      this.load();
    }
    const keys = pending.filter((k) => !named.has(k));
    if (keys.length === 0 || !this.bucket) return;
    for (let i = 0; i < keys.length; i += 1000) {
      const some = keys.slice(i, i + 1000);
      await this.bucket.delete(some);
      this.host.storage.transactionSync(() => {
        for (const k of some) this.manifest.removePending(k);
      });
      for (const k of some) this.cache.drop(k);
    }
    this.load();
  }

  /** Whether objects wait to be deleted. */
  hasPending(): boolean {
    return this.pendingCount > 0;
  }

  /** The local rows a manifest row covers go (the last step of an upload, or its redo after a crash). */
  private finishLocalDelete(): void {
    const last = this.entries.at(-1);
    const { bounds, store, storage } = this.host;
    if (!last || last.lastOffset < bounds.localStartOffset) return;
    const removed = storage.transactionSync(() => store.deleteLocalThrough(last.lastOffset, bounds.highWatermark));
    bounds.localStartOffset = last.lastOffset + 1;
    bounds.localBytes -= removed;
  }

  private newKey(ref: PartitionRef, base: number, last: number): string {
    const { store, storage } = this.host;
    const seq = Number(store.getMeta("segment_seq") ?? 0);
    const key = segmentKey(ref, base, last, seq);
    storage.transactionSync(() => {
      store.setMeta("segment_seq", String(seq + 1));
      this.manifest.addPending(key);
    });
    this.load();
    return key;
  }

  /** The first segment whose last offset is at or after `offset`. */
  private entryAt(offset: number): ManifestEntry | undefined {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return this.entries[lo];
  }

  /** The segment holding `offset` (or the next one), loaded; a segment rewritten meanwhile is looked up again. */
  private async segmentAt(offset: number): Promise<{ entry?: ManifestEntry; segment?: Segment }> {
    for (let attempt = 0; ; attempt++) {
      const entry = this.entryAt(offset);
      if (!entry) return {};
      try {
        return { entry, segment: await this.loadEntry(entry) };
      } catch (err) {
        if (!(err instanceof SegmentGone) || attempt >= 2) throw err;
        if (offset < this.host.bounds.logStartOffset) throw err;
      }
    }
  }

  private loadEntry(entry: ManifestEntry): Promise<Segment> {
    const bucket = this.bucket;
    if (!bucket) throw new Error("tiered records need the LOG_SEGMENTS R2 binding (see wrangler.toml)");
    return this.cache.get(entry.key, async () => {
      const object = await bucket.get(entry.key);
      if (!object) throw new SegmentGone(`segment ${entry.key} is not in R2`);
      return decodeSegment(new Uint8Array(await object.arrayBuffer()));
    });
  }

  private deadIn(entry: ManifestEntry, from: number): Set<number> | undefined {
    return entry.dead > 0 ? new Set(this.manifest.deadIn(from, entry.lastOffset)) : undefined;
  }
}
