/**
 * Recently read segments, decoded, in the object's memory: a reader catching up below the local
 * start asks for page after page of the same segment, and one R2 read serves them all. Bounded by
 * the memory the segments take (least recently used go first); a load under way is shared by
 * everyone who asks for that segment meanwhile.
 */
import type { Segment } from "./segment.ts";

/** About 8 segments of 4 MB of ASCII records (they take twice that as UTF-16 text). */
export const SEGMENT_CACHE_BYTES = 64 * 1024 * 1024;

interface Cached {
  segment: Promise<Segment>;
  bytes: number;
}

export class SegmentCache {
  private readonly cached = new Map<string, Cached>();
  private total = 0;
  /** Segments loaded from R2 since this object started (what the cache saved is reads minus loads). */
  loads = 0;

  constructor(private readonly maxBytes = SEGMENT_CACHE_BYTES) {}

  /** The segment named `key`, loaded with `load` unless it is cached. */
  get(key: string, load: () => Promise<Segment>): Promise<Segment> {
    const hit = this.cached.get(key);
    if (hit) {
      this.cached.delete(key);
      this.cached.set(key, hit);
      return hit.segment;
    }
    this.loads++;
    const entry: Cached = {
      segment: load().then(
        (segment) => {
          if (this.cached.get(key) === entry) {
            entry.bytes = segment.memoryBytes;
            this.total += entry.bytes;
            this.evict(key);
          }
          return segment;
        },
        (err: unknown) => {
          if (this.cached.get(key) === entry) this.cached.delete(key);
          throw err;
        },
      ),
      bytes: 0,
    };
    this.cached.set(key, entry);
    return entry.segment;
  }

  /** Forgets a segment (its object was replaced or deleted). */
  drop(key: string): void {
    const entry = this.cached.get(key);
    if (!entry) return;
    this.cached.delete(key);
    this.total -= entry.bytes;
  }

  private evict(keep: string): void {
    for (const [key, entry] of this.cached) {
      if (this.total <= this.maxBytes) return;
      if (key === keep) continue;
      this.cached.delete(key);
      this.total -= entry.bytes;
    }
  }
}
