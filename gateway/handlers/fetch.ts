/**
 * Fetch: each partition is a Tributary fetch from the asked offset, its records written as one
 * record batch (v2, uncompressed; offsets keep their gaps). When nothing is there, the request
 * waits up to MaxWaitMs on every partition at once (Tributary's long poll) and answers as soon
 * as one has records (so MinBytes is met by a single record). Versions 13 and later name topics
 * by id (topic-ids.ts finds their names). Fetch sessions (KIP-227) are answered with session 0, which tells the
 * client to send full requests: a gateway keeps no session state.
 */
import { partitionPath } from "../../sdk/paths.ts";
import { type FetchedRecord, fetchAnswerSchema, MAX_FETCH_RECORDS, MAX_WAIT_MS } from "../../sdk/protocol/schemas.ts";
import { TributaryError } from "../api.ts";
import { code, errorCode, type Handler, type RequestContext } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";
import { writeBatch } from "../protocol/records.ts";
import { toBatchRecord } from "../record-mapping.ts";
import { topicNames } from "../topic-ids.ts";

interface Wanted {
  topic: string;
  /** Fetch v13 and later name topics by id (answered by id too). */
  topicId?: string;
  partition: number;
  offset: number;
  maxBytes: number;
}

interface Got {
  errorCode: number;
  records: FetchedRecord[];
  highWatermark: number;
  logStartOffset: number;
}

async function read(ctx: RequestContext, w: Wanted, waitMs: number, signal?: AbortSignal): Promise<Got> {
  try {
    const page = await ctx.api.request(
      {
        method: "GET",
        path: `${partitionPath(w.topic, w.partition)}/records`,
        query: { offset: w.offset, maxRecords: MAX_FETCH_RECORDS, maxBytes: Math.max(1, w.maxBytes), waitMs },
        waitMs,
        signal,
      },
      fetchAnswerSchema,
    );
    return {
      errorCode: 0,
      records: page.records,
      highWatermark: page.highWatermark,
      logStartOffset: page.logStartOffset,
    };
  } catch (err) {
    const d = err instanceof TributaryError ? err.details : {};
    return {
      errorCode: errorCode(err),
      records: [],
      highWatermark: Number(d.highWatermark ?? -1),
      logStartOffset: Number(d.logStartOffset ?? -1),
    };
  }
}

/** Answers as soon as one partition has records (or all answered); the others count as empty. */
function firstWithRecords(reads: Promise<Got>[], before: Got[]): Promise<Got[]> {
  return new Promise((resolve) => {
    const got = [...before];
    let waiting = reads.length;
    let done = false;
    reads.forEach((r, i) => {
      void r.then((g) => {
        if (done) return;
        got[i] = g;
        waiting--;
        if (g.records.length > 0 || g.errorCode !== 0 || waiting === 0) {
          done = true;
          resolve(got);
        }
      });
    });
  });
}

export const fetchRecords: Handler = async (ctx, request) => {
  const topics = request.topics as Struct[];
  const names =
    ctx.version >= 13
      ? await topicNames(
          ctx,
          topics.map((t) => t.topicId as string),
        )
      : undefined;
  const wanted: Wanted[] = [];
  const unknown: Wanted[] = [];
  for (const t of topics) {
    const topicId = ctx.version >= 13 ? (t.topicId as string) : undefined;
    const topic = topicId ? names!.get(topicId) : (t.topic as string);
    for (const p of t.partitions as Struct[]) {
      const w = {
        topic: topic ?? "",
        topicId,
        partition: p.partition as number,
        offset: Number(p.fetchOffset as bigint),
        maxBytes: p.partitionMaxBytes as number,
      };
      (topic === undefined ? unknown : wanted).push(w);
    }
  }
  let got = await Promise.all(wanted.map((w) => read(ctx, w, 0)));
  const waitMs = Math.min(Math.max(0, request.maxWaitMs as number), MAX_WAIT_MS);
  // MinBytes is met by any record: Tributary's long poll answers on the first append.
  if (waitMs > 0 && wanted.length > 0 && got.every((g) => g.records.length === 0 && g.errorCode === 0)) {
    // The long polls still waiting are called off once one partition answers.
    const others = new AbortController();
    got = await firstWithRecords(
      wanted.map((w) => read(ctx, w, waitMs, others.signal)),
      got,
    );
    others.abort();
  }
  // The whole answer stays near MaxBytes, but always carries the first partition with records.
  let budget = (request.maxBytes as number | undefined) ?? Number.MAX_SAFE_INTEGER;
  const byTopic = new Map<string, Struct[]>();
  const entry = (w: Wanted) => {
    const key = w.topicId ?? w.topic;
    const list = byTopic.get(key) ?? [];
    byTopic.set(key, list);
    return list;
  };
  for (const w of unknown) {
    entry(w).push({
      partitionIndex: w.partition,
      errorCode: code("UNKNOWN_TOPIC_ID"),
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      abortedTransactions: [],
      preferredReadReplica: -1,
      records: Buffer.alloc(0),
    });
  }
  wanted.forEach((w, i) => {
    const g = got[i]!;
    // An empty partition answers empty bytes, not null: clients (librdkafka) read null as corrupt.
    let records: Buffer = Buffer.alloc(0);
    if (g.records.length > 0 && budget > 0) {
      records = writeBatch(g.records.map(toBatchRecord));
      budget -= records.length;
    }
    entry(w).push({
      partitionIndex: w.partition,
      errorCode: g.errorCode,
      highWatermark: BigInt(g.highWatermark),
      lastStableOffset: BigInt(g.highWatermark),
      logStartOffset: BigInt(g.logStartOffset),
      abortedTransactions: [],
      preferredReadReplica: -1,
      records,
    });
  });
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [...byTopic].map(([key, partitions]) =>
      ctx.version >= 13 ? { topicId: key, partitions } : { topic: key, partitions },
    ),
  };
};
