/**
 * The dedupe operator: drops a record whose id was seen within `withinMs` (in event time, either
 * way) of the first record with that id. A batch reads the stored ids once (all at once when the
 * dedupe reads the source) and writes the ids it saw first once, at its end.
 */
import type { BatchRun, Flowing } from "./batch-run.ts";
import { entryOf } from "./maps.ts";
import { keyText } from "./state.ts";
import type { TopologyNode } from "./topology.ts";

type DedupeNode = TopologyNode & { kind: "dedupe" };

/**
 * A dedupe node's ids during a batch: when each was seen, as stored before the batch (null: not
 * stored) and as this batch saw it. Only the batch's new ids are written, at its end.
 */
interface SeenIds {
  stored: Map<string, number | null>;
  now: Map<string, number>;
  /** The batch's ids were all looked up at its start: an id not in `stored` is not stored. */
  prefetched: boolean;
}
const newSeenIds = (): SeenIds => ({ stored: new Map(), now: new Map(), prefetched: false });

/** The dedupe nodes of one batch's run. */
export class Dedupes {
  /** Per dedupe node. */
  private readonly seen = new Map<number, SeenIds>();

  constructor(private readonly run: BatchRun) {}

  /** Reads the stored ids of a batch's records in one query (a dedupe reading the source). */
  prefetchIds(node: DedupeNode, records: readonly (Flowing | undefined)[]): void {
    const ids = this.seenIds(node);
    const wanted: string[] = [];
    for (const rec of records) if (rec) wanted.push(keyText(node.idOf(rec.key, rec.value)));
    ids.stored = this.run.stores.seenIds(node.store, wanted);
    ids.prefetched = true;
  }

  process(node: DedupeNode, rec: Flowing): void {
    const ids = this.seenIds(node);
    const id = keyText(node.idOf(rec.key, rec.value));
    let seenAt = ids.now.get(id);
    if (seenAt === undefined) {
      let stored = ids.stored.get(id);
      if (stored === undefined && ids.prefetched) stored = null;
      if (stored === undefined) {
        stored = this.run.stores.seenIds(node.store, [id]).get(id) ?? null;
        ids.stored.set(id, stored);
      }
      if (stored !== null) seenAt = stored;
    }
    // Copies within `withinMs` of the first (in event time, either way) are dropped; one further
    // away counts again and starts a new span.
    if (seenAt !== undefined && Math.abs(rec.ts - seenAt) <= node.withinMs) {
      this.run.deduped();
      return;
    }
    ids.now.set(id, rec.ts);
    this.run.forward(node, rec);
  }

  /** End of the records: the node writes the ids its batch saw first, in one statement. */
  endOfBatch(node: DedupeNode): void {
    const ids = this.seen.get(node.id);
    if (!ids) return;
    this.seen.delete(node.id);
    this.run.stores.putSeenIds(node.store, ids.now);
  }

  /** End of batch: an id is kept for `withinMs` after stream time passed it. */
  punctuate(node: DedupeNode): void {
    this.run.stores.purgeSeenIds(node.store, this.run.streamTime - node.withinMs);
  }

  private seenIds(node: DedupeNode): SeenIds {
    return entryOf(this.seen, node.id, newSeenIds);
  }
}
