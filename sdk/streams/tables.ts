/**
 * The table operators of a batch's run: a table's materialization (the latest value per key, a
 * null value deleting it), the lookups of stream–table and stream–globalTable joins, the sides
 * of a table–table join, and the records of a global table's topic. A table lives in a key-value
 * store (entries in the window [0, 0]) of the task that holds it.
 */
import type { BatchRun, Flowing } from "./batch-run.ts";
import type { InputRecord } from "./processor.ts";
import { keyText, type StateStores, type StoreEntry } from "./state.ts";
import type { TableJoinSide, Topology, TopologyNode } from "./topology.ts";

type TableNode = TopologyNode & { kind: "table" };
type LookupNode = TopologyNode & { kind: "tableLookup" };
type GlobalLookupNode = TopologyNode & { kind: "globalLookup" };
type TableJoinNode = TopologyNode & TableJoinSide;

const absent = (v: unknown) => v === null || v === undefined;

/** The table nodes of one batch's run. */
export class Tables {
  constructor(
    private readonly run: BatchRun,
    private readonly topology: Topology,
  ) {}

  /** Keeps the update in the table's store and forwards it (a deletion as a null value). */
  materialize(node: TableNode, rec: Flowing): void {
    const key = keyText(rec.key);
    if (absent(rec.value)) this.run.stores.delete(node.store, key, 0, 0);
    else {
      this.run.stores.put({
        store: node.store,
        key,
        keyValue: rec.key,
        windowStart: 0,
        windowEnd: 0,
        value: rec.value,
      });
    }
    this.run.forward(node, { key: rec.key, value: rec.value ?? null, ts: rec.ts });
  }

  /** A stream–table join: the table's value for the record's key as it is now, joined. */
  lookup(node: LookupNode, rec: Flowing): void {
    // A null value is no event to join (as in Kafka Streams); a null key matches no row.
    if (absent(rec.value)) return;
    const found = absent(rec.key) ? null : this.valueOf(node.table, node.store, rec.key);
    if (found === null && !node.left) return;
    this.run.forward(node, { key: rec.key, value: node.joiner(rec.value, found, rec.key), ts: rec.ts });
  }

  /** A stream–globalTable join: the task's copy of the global table, at the key `keyOf` gives. */
  globalLookup(node: GlobalLookupNode, rec: Flowing): void {
    if (absent(rec.value)) return;
    const at = node.keyOf(rec.key, rec.value);
    const found = absent(at) ? null : (this.run.stores.get(node.store, keyText(at), 0, 0)?.value ?? null);
    if (found === null && !node.left) return;
    this.run.forward(node, { key: rec.key, value: node.joiner(rec.value, found, rec.key), ts: rec.ts });
  }

  /**
   * One side of a table–table join, on an update of its table (null: the key was deleted): the
   * joined value with the other table's current value, a deletion (null) where the joined row
   * no longer exists, or nothing where there was none and is none.
   */
  tableJoin(node: TableJoinNode, rec: Flowing): void {
    const mine = rec.value ?? null;
    const other = this.valueOf(node.otherTable, node.otherStore, rec.key);
    const [left, right] = node.side === "left" ? [mine, other] : [other, mine];
    let joined: unknown;
    if (node.mode === "inner") {
      if (other === null) return;
      joined = mine === null ? null : node.joiner(left, right, rec.key);
    } else if (node.mode === "left") {
      if (left === null) {
        // The left table's row is gone (a deletion) or was never there (a right update): a
        // deletion forwards, a right update has no row to change.
        if (node.side === "right") return;
        joined = null;
      } else joined = node.joiner(left, right, rec.key);
    } else {
      joined = left === null && right === null ? null : node.joiner(left, right, rec.key);
    }
    this.run.forward(node, { key: rec.key, value: joined, ts: rec.ts });
  }

  /** The current value of `key` in the table of node `table` (null: none). */
  private valueOf(table: number, store: string, key: unknown): unknown {
    const node = this.topology.nodes[table]!;
    // A cached aggregate writes its store itself at the end of a batch (aggregate.ts): read it there.
    const stores = node.kind === "aggregate" && node.cache ? this.run.direct : this.run.stores;
    return stores.get(store, keyText(key), 0, 0)?.value ?? null;
  }
}

/** What applying a global table's records did. */
export interface GlobalBatchResult {
  /** Records applied (an upsert or a deletion). */
  applied: number;
  /** Records its schemas rejected, or without a key. */
  skipped: number;
}

/**
 * Applies records of a global table's topic to the task's copy of it: the latest value per key,
 * a null value deleting the key. Only the last record of a key in the batch is written.
 */
export function processGlobalBatch(
  topology: Topology,
  topic: string,
  records: readonly InputRecord[],
  stores: StateStores,
): GlobalBatchResult {
  const spec = topology.globalTables.find((g) => g.topic === topic);
  if (!spec) throw new Error(`app '${topology.app}' has no global table of topic '${topic}'`);
  const latest = new Map<string, StoreEntry | null>();
  let skipped = 0;
  for (const r of records) {
    const key = spec.keySchema.safeParse(r.key ?? null);
    if (!key.success || absent(key.data)) {
      skipped++;
      continue;
    }
    const k = keyText(key.data);
    let entry: StoreEntry | null = null;
    if (!absent(r.value)) {
      const value = spec.valueSchema.safeParse(r.value);
      if (!value.success) {
        skipped++;
        continue;
      }
      entry = { key: k, keyValue: key.data, windowStart: 0, windowEnd: 0, value: value.data };
    }
    // Deleted first, so that the map's order is that of the last writes.
    latest.delete(k);
    latest.set(k, entry);
  }
  const puts: StoreEntry[] = [];
  for (const [k, e] of latest) {
    if (e) puts.push(e);
    else stores.delete(spec.store, k, 0, 0);
  }
  stores.putMany(spec.store, puts);
  return { applied: records.length - skipped, skipped };
}
