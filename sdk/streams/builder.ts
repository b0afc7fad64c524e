/**
 * The stream-processing DSL, in the spirit of Kafka Streams: a builder whose typed streams and
 * tables add nodes to a topology (see topology.ts). Nothing here runs records; processor.ts does.
 */
import type { ZodType, z } from "zod";
import { KStream } from "./kstream.ts";
import { GlobalKTable, KTable } from "./ktable.ts";
import type { GlobalTableOptions, StreamOptions, TableOptions } from "./stream-options.ts";
import { compileTopology, type GlobalTableSpec, type NodeSpec, type Topology, type TopologyNode } from "./topology.ts";

const APP_NAME = /^[a-z0-9-]{1,100}$/;
const STORE_NAME = /^[a-zA-Z0-9._-]{1,200}$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * A stream processing application: a name and the topology its streams build.
 *
 * @example
 * const app = streamsApp("ad-clicks");
 * app
 *   .stream("clicks", { key: z.string(), value: z.object({ adId: z.string() }) })
 *   .groupByKey()
 *   .windowedBy(TimeWindows.of(60_000).grace(5_000))
 *   .count({ name: "clicks-per-minute" })
 *   .toStream()
 *   .to("clicks-per-minute");
 */
export function streamsApp(name: string, options: { lateRecordsTopic?: string } = {}): StreamsApp {
  return new StreamsApp(name, options);
}

export class StreamsApp {
  readonly lateRecordsTopic: string;
  /** @internal */
  readonly nodes: TopologyNode[] = [];
  /** @internal */
  readonly globalTables: GlobalTableSpec[] = [];
  private readonly storeNames = new Set<string>();
  private repartitions = 0;
  private compiled: Topology | undefined;

  constructor(
    readonly name: string,
    options: { lateRecordsTopic?: string } = {},
  ) {
    if (!APP_NAME.test(name)) throw new RangeError(`app name '${name}' must match [a-z0-9-]{1,100}`);
    this.lateRecordsTopic = checkTopic(options.lateRecordsTopic ?? `${name}.late-records`);
  }

  /** A stream of the records of `topic`, parsed by the key and value schemas. */
  stream<KS extends ZodType, VS extends ZodType>(
    topic: string,
    options: StreamOptions<KS, VS>,
  ): KStream<z.output<KS>, z.output<VS>> {
    const id = this.add(
      {
        kind: "source",
        topic: checkTopic(topic),
        internal: false,
        keySchema: options.key,
        valueSchema: options.value,
        timestamp: options.timestamp,
      },
      [],
      `source:${topic}`,
    );
    return new KStream(this, id, { windowed: false, keyChanged: false });
  }

  /**
   * A table of the records of `topic`: the latest value of each key (a null value deletes it),
   * materialized in the task's state and queryable. The topic's partitions go to the tasks that
   * read the streams it is joined with, so those must be co-partitioned with it. Such a topic
   * is a changelog: compact it once compaction is available.
   */
  table<KS extends ZodType, VS extends ZodType>(
    topic: string,
    options: TableOptions<KS, VS>,
  ): KTable<z.output<KS>, z.output<VS>> {
    const store = this.claimStore(options.name ?? topic);
    const source = this.add(
      {
        kind: "source",
        topic: checkTopic(topic),
        internal: false,
        keySchema: options.key,
        valueSchema: options.value,
        timestamp: options.timestamp,
        table: true,
      },
      [],
      `table-source:${topic}`,
    );
    const id = this.add({ kind: "table", store }, [source], store);
    return new KTable(this, id, store, undefined);
  }

  /**
   * A table every task that joins it holds whole: each reads all the partitions of `topic` into
   * its state before it processes records of its own, and goes on following them. For small
   * reference data; no co-partitioning needed (a join names the key to look up).
   */
  globalTable<KS extends ZodType, VS extends ZodType>(
    topic: string,
    options: GlobalTableOptions<KS, VS>,
  ): GlobalKTable<z.output<KS>, z.output<VS>> {
    if (this.compiled) throw new Error(`app '${this.name}' is already running; build its topology before using it`);
    const spec: GlobalTableSpec = {
      topic: checkTopic(topic),
      store: this.claimStore(options.name ?? topic),
      keySchema: options.key,
      valueSchema: options.value,
    };
    this.globalTables.push(spec);
    return new GlobalKTable(this, spec.store);
  }

  /** The topology of everything built so far, split into sub-topologies. */
  topology(): Topology {
    this.compiled ??= compileTopology(this.name, this.lateRecordsTopic, this.nodes, this.globalTables);
    return this.compiled;
  }

  /** @internal */
  add(spec: NodeSpec, parents: number[], name?: string): number {
    if (this.compiled) throw new Error(`app '${this.name}' is already running; build its topology before using it`);
    const id = this.nodes.length;
    this.nodes.push({ ...spec, id, name: name ?? `${spec.kind}-${id}`, children: [] } as TopologyNode);
    for (const p of parents) this.nodes[p]!.children.push(id);
    return id;
  }

  /** @internal */
  claimStore(name: string): string {
    if (!STORE_NAME.test(name)) throw new RangeError(`store name '${name}' must match [a-zA-Z0-9._-]{1,200}`);
    if (this.storeNames.has(name)) throw new Error(`app '${this.name}' already has a store named '${name}'`);
    this.storeNames.add(name);
    return name;
  }

  /** @internal The topic a repartition writes to and reads from. */
  repartitionTopic(name?: string): string {
    return checkTopic(`${this.name}.${name ?? `repartition-${this.repartitions++}`}.repartition`);
  }
}

export function checkTopic(topic: string): string {
  if (!TOPIC_NAME.test(topic)) throw new RangeError(`topic name '${topic}' must match [a-zA-Z0-9._-]{1,249}`);
  return topic;
}

export function sameApp(app: StreamsApp, other: StreamsApp, what: string): void {
  if (other !== app) {
    throw new Error(
      `${what} needs streams and tables of the same app ('${app.name}' and '${other.name}'): build both from one streamsApp()`,
    );
  }
}
