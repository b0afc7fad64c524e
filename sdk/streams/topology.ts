/**
 * A topology as data: the nodes the builder created, and its split into sub-topologies. A
 * sub-topology is what one task runs: the nodes connected to a set of source topics, cut at
 * repartition topics (a repartition sink ends one sub-topology, its topic is the source of
 * another), as in Kafka Streams. Tasks are per (sub-topology, partition).
 */
import type { ZodType } from "zod";
import type { WindowSpec } from "./windows.ts";

// biome-ignore lint/suspicious/noExplicitAny: user functions are typed by the builder, stored untyped here
export type AnyFn = (...args: any[]) => any;

export type NodeSpec =
  | {
      kind: "source";
      topic: string;
      /** A repartition topic written by this app (its records carry the key and value as JSON). */
      internal: boolean;
      keySchema?: ZodType;
      valueSchema?: ZodType;
      timestamp?: AnyFn;
      /** A table's source: a null value deletes its key (the value schema never sees it). */
      table?: boolean;
    }
  | { kind: "filter" | "map" | "mapValues" | "flatMap" | "selectKey" | "peek"; fn: AnyFn }
  | { kind: "merge" }
  /** Sends each record to the first branch whose predicate matches (children in predicate order). */
  | { kind: "branch"; predicates: AnyFn[] }
  | { kind: "passthrough" }
  | { kind: "dedupe"; idOf: AnyFn; withinMs: number; store: string }
  | {
      kind: "aggregate";
      store: string;
      windows?: WindowSpec;
      init: AnyFn;
      add: AnyFn;
      /** Merges two session aggregates (session windows only). */
      merge?: AnyFn;
      retentionMs: number;
      /** Forward only the latest update per key and window of each batch (Kafka Streams' record cache). */
      cache: boolean;
    }
  | { kind: "suppress"; store: string; windows: WindowSpec }
  | { kind: "sink"; topic: string; internal: boolean; windowedKeys: boolean }
  /** Materializes a table in `store` (the latest value per key; a null value deletes) and forwards each update. */
  | { kind: "table"; store: string }
  /** A stream–table join: each record looks up the table (node `table`, whose store is `store`) as it is then. */
  | { kind: "tableLookup"; table: number; store: string; joiner: AnyFn; left: boolean }
  /** A stream–globalTable join: each record looks up `keyOf(key, value)` in the task's copy of a global table. */
  | { kind: "globalLookup"; store: string; keyOf: AnyFn; joiner: AnyFn; left: boolean }
  | StreamJoinSide
  | TableJoinSide;

/**
 * One side of a stream–stream join; both sides forward to one node. Each side keeps its records
 * (by key, in the window [t, t]) while another record could still join them.
 */
export interface StreamJoinSide {
  kind: "streamJoin";
  side: "left" | "right";
  /** The join's name: late records name it. */
  join: string;
  thisStore: string;
  otherStore: string;
  /** Where this side's records wait while they have matched nothing (left joins' left side, both sides of outer joins). */
  thisPending?: string;
  otherPending?: string;
  /** A record at t joins the other side's records in [t - lookBeforeMs, t + lookAfterMs]. */
  lookBeforeMs: number;
  lookAfterMs: number;
  /** A record of this side at t can be matched while stream time <= t + thisWaitMs + graceMs (the other side's: otherWaitMs). */
  thisWaitMs: number;
  otherWaitMs: number;
  graceMs: number;
  /** Called as joiner(leftValue, rightValue, key), whichever side this is. */
  joiner: AnyFn;
}

/** One side of a table–table join: each update of its table looks up the other table. */
export interface TableJoinSide {
  kind: "tableJoin";
  side: "left" | "right";
  /** The other table's node and store. */
  otherTable: number;
  otherStore: string;
  mode: "inner" | "left" | "outer";
  /** Called as joiner(leftValue, rightValue, key), whichever side this is. */
  joiner: AnyFn;
}

/** A global table: every task that joins it keeps a copy of all of its topic's partitions. */
export interface GlobalTableSpec {
  topic: string;
  store: string;
  keySchema: ZodType;
  valueSchema: ZodType;
}

export type TopologyNode = NodeSpec & { id: number; name: string; children: number[] };

export interface SubTopology {
  id: number;
  /** Source topics, co-partitioned: partition p of each is read by task p. */
  sources: string[];
  /** Source topics that are repartition topics of this app. */
  internalSources: string[];
  /** Topics of the global tables the sub-topology joins: each task reads all their partitions. */
  globalTopics: string[];
  nodeIds: number[];
  stores: string[];
  sinks: string[];
}

export interface StoreInfo {
  name: string;
  subTopology: number;
  windowed: "time" | "session" | null;
  /** Stores the app keeps for itself (dedupe ids, suppression and join buffers) are not queryable. */
  internal: boolean;
  /** A global table's store: every task of its sub-topology holds all of it. */
  global?: boolean;
}

export interface Topology {
  app: string;
  lateRecordsTopic: string;
  nodes: TopologyNode[];
  subTopologies: SubTopology[];
  stores: StoreInfo[];
  globalTables: GlobalTableSpec[];
}

/**
 * Splits the nodes into sub-topologies: the connected parts of the graph, a stream–table join
 * connecting the stream with its table's part (the task that joins must hold the table).
 */
export function compileTopology(
  app: string,
  lateRecordsTopic: string,
  nodes: TopologyNode[],
  globalTables: GlobalTableSpec[] = [],
): Topology {
  const parent = nodes.map((n) => n.id);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const n of nodes) {
    for (const c of n.children) parent[find(c)] = find(n.id);
    if (n.kind === "tableLookup") parent[find(n.table)] = find(n.id);
  }
  const groups = new Map<number, TopologyNode[]>();
  for (const n of nodes) {
    const root = find(n.id);
    groups.set(root, [...(groups.get(root) ?? []), n]);
  }
  const subTopologies: SubTopology[] = [];
  const stores: StoreInfo[] = [];
  const globalsJoined = new Set<string>();
  for (const members of [...groups.values()].sort((a, b) => a[0]!.id - b[0]!.id)) {
    const id = subTopologies.length;
    const sources = members.filter((n) => n.kind === "source");
    const read = sources.map((n) => n.topic);
    const twice = read.find((t, i) => read.indexOf(t) !== i);
    if (twice) {
      throw new Error(
        `app '${app}' reads topic '${twice}' twice in one sub-topology: read it once (one stream() or table()) and use that stream in both places`,
      );
    }
    const globalStores = [...new Set(members.flatMap((n) => (n.kind === "globalLookup" ? [n.store] : [])))];
    const sub: SubTopology = {
      id,
      sources: read,
      internalSources: sources.filter((n) => n.internal).map((n) => n.topic),
      globalTopics: globalStores.map((store) => globalTables.find((g) => g.store === store)!.topic),
      nodeIds: members.map((n) => n.id),
      stores: [],
      sinks: members.flatMap((n) => (n.kind === "sink" ? [n.topic] : [])),
    };
    for (const store of globalStores) {
      if (!globalsJoined.has(store)) {
        stores.push({ name: store, subTopology: id, windowed: null, internal: false, global: true });
        globalsJoined.add(store);
      }
      sub.stores.push(store);
    }
    for (const n of members) {
      for (const store of ownStores(n)) {
        stores.push({ name: store.name, subTopology: id, windowed: store.windowed, internal: store.internal });
        sub.stores.push(store.name);
      }
    }
    subTopologies.push(sub);
  }
  const unjoined = globalTables.find((g) => !globalsJoined.has(g.store));
  if (unjoined) {
    throw new Error(
      `app '${app}': global table '${unjoined.store}' (topic '${unjoined.topic}') is joined by no stream; join it (stream.join(globalTable, …)) or remove it`,
    );
  }
  return { app, lateRecordsTopic, nodes, subTopologies, stores, globalTables };
}

/** The stores a node keeps. */
function ownStores(n: TopologyNode): { name: string; windowed: StoreInfo["windowed"]; internal: boolean }[] {
  switch (n.kind) {
    case "aggregate":
      return [{ name: n.store, windowed: n.windows?.kind ?? null, internal: false }];
    case "table":
      return [{ name: n.store, windowed: null, internal: false }];
    case "dedupe":
    case "suppress":
      return [{ name: n.store, windowed: null, internal: true }];
    case "streamJoin":
      return [n.thisStore, ...(n.thisPending ? [n.thisPending] : [])].map((name) => ({
        name,
        windowed: null,
        internal: true,
      }));
    default:
      return [];
  }
}

/** The topology as JSON for `GET /v1/apps/:app`. */
export function describeTopology(t: Topology) {
  return {
    lateRecordsTopic: t.lateRecordsTopic,
    subTopologies: t.subTopologies.map((s) => ({
      id: s.id,
      sources: s.sources,
      ...(s.globalTopics.length > 0 ? { globalTables: s.globalTopics } : {}),
      sinks: s.sinks,
      stores: s.stores,
      nodes: s.nodeIds.map((id) => {
        const n = t.nodes[id]!;
        return { id, kind: n.kind, name: n.name, children: n.children };
      }),
    })),
    stores: t.stores
      .filter((s) => !s.internal)
      .map(({ name, subTopology, windowed, global }) => ({
        name,
        subTopology,
        windowed,
        ...(global ? { global: true } : {}),
      })),
  };
}
