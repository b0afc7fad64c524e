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
  | { kind: "sink"; topic: string; internal: boolean; windowedKeys: boolean };

export type TopologyNode = NodeSpec & { id: number; name: string; children: number[] };

export interface SubTopology {
  id: number;
  /** Source topics, co-partitioned: partition p of each is read by task p. */
  sources: string[];
  /** Source topics that are repartition topics of this app. */
  internalSources: string[];
  nodeIds: number[];
  stores: string[];
  sinks: string[];
}

export interface StoreInfo {
  name: string;
  subTopology: number;
  windowed: "time" | "session" | null;
  /** Stores the app keeps for itself (dedupe ids, suppression buffers) are not queryable. */
  internal: boolean;
}

export interface Topology {
  app: string;
  lateRecordsTopic: string;
  nodes: TopologyNode[];
  subTopologies: SubTopology[];
  stores: StoreInfo[];
}

/** Splits the nodes into sub-topologies: the connected parts of the graph. */
export function compileTopology(app: string, lateRecordsTopic: string, nodes: TopologyNode[]): Topology {
  const parent = nodes.map((n) => n.id);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const n of nodes) for (const c of n.children) parent[find(c)] = find(n.id);
  const groups = new Map<number, TopologyNode[]>();
  for (const n of nodes) {
    const root = find(n.id);
    groups.set(root, [...(groups.get(root) ?? []), n]);
  }
  const subTopologies: SubTopology[] = [];
  const stores: StoreInfo[] = [];
  for (const members of [...groups.values()].sort((a, b) => a[0]!.id - b[0]!.id)) {
    const id = subTopologies.length;
    const sources = members.filter((n) => n.kind === "source");
    const sub: SubTopology = {
      id,
      sources: sources.map((n) => n.topic),
      internalSources: sources.filter((n) => n.internal).map((n) => n.topic),
      nodeIds: members.map((n) => n.id),
      stores: [],
      sinks: members.flatMap((n) => (n.kind === "sink" ? [n.topic] : [])),
    };
    for (const n of members) {
      if (n.kind === "aggregate") {
        stores.push({ name: n.store, subTopology: id, windowed: n.windows?.kind ?? null, internal: false });
      } else if (n.kind === "dedupe" || n.kind === "suppress") {
        stores.push({ name: n.store, subTopology: id, windowed: null, internal: true });
      } else continue;
      sub.stores.push(n.store);
    }
    subTopologies.push(sub);
  }
  return { app, lateRecordsTopic, nodes, subTopologies, stores };
}

/** The topology as JSON for `GET /v1/apps/:app`. */
export function describeTopology(t: Topology) {
  return {
    lateRecordsTopic: t.lateRecordsTopic,
    subTopologies: t.subTopologies.map((s) => ({
      id: s.id,
      sources: s.sources,
      sinks: s.sinks,
      stores: s.stores,
      nodes: s.nodeIds.map((id) => {
        const n = t.nodes[id]!;
        return { id, kind: n.kind, name: n.name, children: n.children };
      }),
    })),
    stores: t.stores
      .filter((s) => !s.internal)
      .map(({ name, subTopology, windowed }) => ({ name, subTopology, windowed })),
  };
}
