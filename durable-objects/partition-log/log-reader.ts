/**
 * Reading a partition's log wherever its records are: below the local start from the R2 tier
 * (tier.ts, through its segment cache), from SQLite above it. Pages never straddle the two: a
 * page from a segment ends where the segment does, and its `next` says where to read on.
 */
import type { BatchRow } from "../../cluster/rpc/partition-log.ts";
import { fetchedForm, type Page, storedForm } from "./render.ts";
import type { LogBounds, PartitionStore } from "./store.ts";
import type { Tier } from "./tier.ts";

export type PageForm = "fetched" | "stored";

export class LogReader {
  constructor(
    private readonly store: PartitionStore,
    private readonly tier: Tier,
    private readonly bounds: LogBounds,
  ) {}

  /** Records from `offset` up to `end` (the high watermark readers may see). */
  async page(
    partition: number,
    offset: number,
    end: number,
    maxRecords: number,
    maxBytes: number,
    form: PageForm = "fetched",
  ): Promise<Page> {
    if (offset >= end) return { json: "[]", count: 0, next: offset };
    const local = this.bounds.localStartOffset;
    if (offset < local) {
      const render = form === "stored" ? storedForm : fetchedForm(partition);
      return this.tier.read(offset, Math.min(end, local), maxRecords, maxBytes, render);
    }
    return form === "stored"
      ? this.store.readStored(offset, maxRecords, maxBytes, end)
      : this.store.read(partition, offset, maxRecords, maxBytes, end);
  }

  /** The first record at or after `timestamp` below `end`, or undefined when there is none. */
  async offsetFor(timestamp: number, end: number): Promise<{ offset: number; timestamp: number } | undefined> {
    const found =
      (this.tier.segments.length > 0 ? await this.tier.offsetFor(timestamp) : undefined) ??
      this.store.offsetForTimestamp(timestamp);
    return found && found.offset < end ? found : undefined;
  }

  /** Whole batches from `from` on, as a leader sends them to a follower. */
  async forReplica(from: number, end: number, maxBytes: number): Promise<{ records: string; batches: BatchRow[] }> {
    const local = this.bounds.localStartOffset;
    if (from < local) {
      const page = await this.tier.forReplica(from, Math.min(end, local), maxBytes);
      if (page.batches.length > 0) return page;
    }
    return this.store.readForReplica(Math.max(from, local), end, maxBytes);
  }
}
