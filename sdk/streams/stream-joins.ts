/**
 * The stream–stream join (Kafka Streams' KStream–KStream join with JoinWindows): each side keeps
 * its records by key and timestamp (the window [t, t] of its buffer store; records of a key at
 * one timestamp share an entry), and a record joins the other side's records of its key within
 * its window. A record of a side waits for matches while stream time is at most its timestamp
 * plus the window's reach on the other side plus the grace period; then its window has closed:
 * it is forgotten and, in a left (left side) or outer (both sides) join, emitted unmatched if it
 * matched nothing, so no unmatched result is emitted for a record that a later one still joins.
 * A record that arrives for a closed window is late: dropped, counted, and written to the
 * late-records topic.
 */
import type { BatchRun, Flowing } from "./batch-run.ts";
import { keyText, type StateStores, type StoreEntry } from "./state.ts";
import type { StreamJoinSide, TopologyNode } from "./topology.ts";

type SideNode = TopologyNode & StreamJoinSide;

/** Whether a side's record at `ts` can no longer be matched at stream time `streamTime`. */
const closed = (ts: number, waitMs: number, graceMs: number, streamTime: number) => ts + waitMs + graceMs < streamTime;

/** Adds a value to the entry of (key, ts): records of a key at one timestamp share it. */
function append(stores: StateStores, store: string, key: string, keyValue: unknown, ts: number, value: unknown) {
  const found = stores.get(store, key, ts, ts)?.value as unknown[] | undefined;
  stores.put({ store, key, keyValue, windowStart: ts, windowEnd: ts, value: [...(found ?? []), value] });
}

/** The stream–stream join sides of one batch's run. */
export class StreamJoins {
  constructor(private readonly run: BatchRun) {}

  process(node: SideNode, rec: Flowing): void {
    // A null value is no event to join; a null key matches nothing, now or later.
    if (rec.value === null || rec.value === undefined) return;
    if (rec.key === null || rec.key === undefined) {
      if (node.thisPending) this.emitUnmatched(node, node.side, rec.key, rec.value, rec.ts);
      return;
    }
    const key = keyText(rec.key);
    const { stores, streamTime } = this.run;
    if (closed(rec.ts, node.thisWaitMs, node.graceMs, streamTime)) {
      this.run.late(node.join, rec, key);
      return;
    }
    append(stores, node.thisStore, key, rec.key, rec.ts, rec.value);
    const matches = stores
      .overlapping(node.otherStore, key, rec.ts - node.lookBeforeMs, rec.ts + node.lookAfterMs)
      // A closed record may still be stored (buffers are swept at the end of a batch).
      .filter((m) => !closed(m.windowStart, node.otherWaitMs, node.graceMs, streamTime));
    for (const m of matches) {
      // The other side's records at that timestamp have a match now: none of them waits unmatched.
      if (node.otherPending) stores.delete(node.otherPending, key, m.windowStart, m.windowEnd);
      const ts = Math.max(rec.ts, m.windowStart);
      for (const other of m.value as unknown[]) {
        const value =
          node.side === "left" ? node.joiner(rec.value, other, rec.key) : node.joiner(other, rec.value, rec.key);
        this.run.forward(node, { key: rec.key, value, ts });
      }
    }
    if (matches.length === 0 && node.thisPending) append(stores, node.thisPending, key, rec.key, rec.ts, rec.value);
  }

  /**
   * End of batch: the left side emits the records of both sides whose windows closed unmatched,
   * by timestamp (left before right at one timestamp); each side forgets its closed records.
   */
  punctuate(node: SideNode): void {
    const { stores, streamTime } = this.run;
    if (node.side === "left") {
      const due: { e: StoreEntry; side: "left" | "right"; store: string }[] = [];
      const pending = [
        [node.thisPending, node.thisWaitMs, "left"],
        [node.otherPending, node.otherWaitMs, "right"],
      ] as const;
      for (const [store, waitMs, side] of pending) {
        if (!store) continue;
        // Ended by t <= streamTime - wait - grace - 1, that is closed.
        for (const e of stores.endedBy(store, streamTime - waitMs - node.graceMs - 1)) due.push({ e, side, store });
      }
      due.sort((a, b) => a.e.windowStart - b.e.windowStart || (a.side === b.side ? 0 : a.side === "left" ? -1 : 1));
      for (const { e, side, store } of due) {
        stores.delete(store, e.key, e.windowStart, e.windowEnd);
        for (const v of e.value as unknown[]) this.emitUnmatched(node, side, e.keyValue, v, e.windowStart);
      }
    }
    stores.purge(node.thisStore, streamTime - node.thisWaitMs - node.graceMs);
  }

  private emitUnmatched(node: SideNode, side: "left" | "right", key: unknown, value: unknown, ts: number): void {
    const joined = side === "left" ? node.joiner(value, null, key) : node.joiner(null, value, key);
    this.run.forward(node, { key, value: joined, ts });
  }
}
