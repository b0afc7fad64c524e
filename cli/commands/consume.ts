/**
 * `tributary consume TOPIC`: prints a topic's records, in kcat's words: `-o` where to start
 * (beginning, end, an offset, -<n>, @<ms>), `-p` one partition, `-e` exit at the end of the
 * partitions, `-c` at most this many records, `-f` a format string, `-K` a key delimiter; follows
 * the topic (long polls) until stopped. `--group` reads as a member of a consumer group (the SDK's
 * consumer: the group's partitions are shared, offsets committed). Output is written with
 * backpressure, so a slow pipe slows the reading instead of filling memory.
 */
import { Command } from "commander";
import type { ReaderRecord, TributaryClient } from "../../sdk/index.ts";
import { wholeNumber } from "../args.ts";
import { clientOf, withConnection } from "../connection.ts";
import { type OffsetSpec, parseOffsetSpec, startOffset } from "../offset-spec.ts";
import { UsageError, writeOut } from "../output.ts";
import { compileFormat, jsonLine } from "../record-format.ts";

const PAGE_RECORDS = 10_000;
const FOLLOW_WAIT_MS = 10_000;
/** How often a group member with -e looks whether its partitions are at their end. */
const END_CHECK_MS = 250;

interface ConsumeFlags {
  offset: string;
  partition?: number;
  exit?: boolean;
  count?: number;
  format?: string;
  keyDelimiter?: string;
  json?: boolean;
  group?: string;
}

/** The line printer the flags ask for. */
function printerOf(flags: ConsumeFlags): (record: ReaderRecord) => string {
  if (flags.json) {
    if (flags.format !== undefined) throw new UsageError("--json and -f go apart: pick one");
    return jsonLine;
  }
  if (flags.format !== undefined) return compileFormat(flags.format);
  if (flags.keyDelimiter !== undefined) {
    const sep = flags.keyDelimiter.replaceAll("%", "%%").replaceAll("\\", "\\\\");
    return compileFormat(`%k${sep}%s\\n`);
  }
  return compileFormat("%s\\n");
}

/** Writes pages of records in order, up to `count`; `full()` says when the count is reached. */
function createSink(print: (r: ReaderRecord) => string, count: number | undefined) {
  let written = 0;
  let queue: Promise<void> = Promise.resolve();
  return {
    /** Queues the records; resolves once they are written, with how many of them were. */
    write(records: ReaderRecord[]): Promise<number> {
      const run = queue.then(async () => {
        const room = count === undefined ? records.length : Math.max(0, count - written);
        const taken = records.length > room ? records.slice(0, room) : records;
        if (taken.length === 0) return 0;
        written += taken.length;
        let text = "";
        for (const r of taken) text += print(r);
        await writeOut(text);
        return taken.length;
      });
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    full: () => count !== undefined && written >= count,
  };
}

/** Reads partitions directly (no group): each from its start offset, in parallel. */
async function consumeDirect(client: TributaryClient, topic: string, flags: ConsumeFlags, stop: AbortController) {
  const spec = parseOffsetSpec(flags.offset);
  const admin = client.admin();
  const described = await admin.describeTopic(topic);
  let partitions = described.partitions;
  if (flags.partition !== undefined) {
    partitions = partitions.filter((p) => p.partition === flags.partition);
    if (partitions.length === 0) {
      throw new UsageError(
        `-p ${flags.partition}: topic ${topic} has partitions 0 to ${described.partitions.length - 1}`,
      );
    }
  }
  const sink = createSink(printerOf(flags), flags.count);
  const { signal } = stop;

  const follow = async (partition: number, bounds: { logStartOffset: number; highWatermark: number }) => {
    let offset =
      spec.kind === "timestamp"
        ? (await admin.fetchOffset({ topic, partition, at: spec.ms })).offset
        : startOffset(spec, bounds);
    while (!signal.aborted) {
      const page = await client.fetch({
        topic,
        partition,
        offset,
        maxRecords: PAGE_RECORDS,
        waitMs: flags.exit ? 0 : FOLLOW_WAIT_MS,
        signal,
      });
      if (page.records.length > 0) await sink.write(page.records);
      if (sink.full()) return stop.abort();
      offset = page.nextOffset;
      if (flags.exit && offset >= page.highWatermark) return;
    }
  };

  try {
    await Promise.all(partitions.map((p) => follow(p.partition, p)));
  } catch (err) {
    const stopped = signal.aborted;
    stop.abort(); // the other partitions' long polls end too
    if (!stopped) throw err;
  }
}

/** Reads as a member of a consumer group: the SDK's consumer, committing what was printed. */
async function consumeInGroup(client: TributaryClient, topic: string, flags: ConsumeFlags, stop: AbortController) {
  const groupId = flags.group!;
  const spec: OffsetSpec = parseOffsetSpec(flags.offset);
  if (spec.kind !== "beginning" && spec.kind !== "end") {
    throw new UsageError(
      "with --group, -o is beginning or end: where partitions the group never committed start (move a group's offsets with tributary group reset-offsets)",
    );
  }
  if (flags.partition !== undefined) throw new UsageError("--group and -p go apart: the group assigns partitions");
  const admin = client.admin();
  const reset = spec.kind === "beginning" ? "earliest" : "latest";
  // Where each partition starts and ends now, for -e: the committed offset (or the reset point)
  // against the high watermark seen before joining.
  const [described, committed] = await Promise.all([
    admin.describeTopic(topic),
    admin.fetchGroupOffsets({ groupId, topic }),
  ]);
  const ends = new Map(described.partitions.map((p) => [p.partition, p.highWatermark]));
  const positions = new Map(
    described.partitions.map((p) => {
      const c = committed.find((o) => o.topic === topic && o.partition === p.partition)?.committed;
      return [p.partition, c ?? (reset === "earliest" ? p.logStartOffset : p.highWatermark)];
    }),
  );

  const sink = createSink(printerOf(flags), flags.count);
  const consumer = client.consumer({ groupId, autoOffsetReset: reset });
  const atEnd = () =>
    consumer
      .assignment()
      .filter((a) => a.topic === topic)
      .every((a) => (positions.get(a.partition) ?? 0) >= (ends.get(a.partition) ?? 0));
  let crash: unknown;
  consumer.on("consumer.crash", ({ error }) => {
    crash = error;
    stop.abort();
  });

  try {
    await consumer.subscribe({ topic });
    await runUntilStopped();
  } finally {
    await consumer.disconnect();
  }
  if (crash) throw crash;

  async function runUntilStopped() {
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        const written = await sink.write(batch.messages.map((m) => ({ topic, partition: batch.partition, ...m })));
        if (written > 0) {
          const last = batch.messages[written - 1]!.offset;
          resolveOffset(last);
          positions.set(batch.partition, last + 1);
        }
        if (sink.full() || (flags.exit && atEnd())) stop.abort();
      },
    });
    // Bounded by the signal: -e, -c, Ctrl-C or a crash abort it.
    while (!stop.signal.aborted) {
      if (flags.exit && consumer.assignment().length > 0 && atEnd()) break;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          stop.signal.removeEventListener("abort", wake);
          resolve();
        }, END_CHECK_MS);
        stop.signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}

export function consumeCommand(): Command {
  return withConnection(new Command("consume"))
    .alias("C")
    .description("print a topic's records, following it (kcat -C)")
    .argument("<topic>", "the topic")
    .option(
      "-o, --offset <where>",
      "where to start: beginning, end, an offset, -<n> (the last n of each partition), @<ms> (a time)",
      "beginning",
    )
    .option("-p, --partition <n>", "read only this partition", wholeNumber(0))
    .option("-e, --exit", "exit at the end of the partitions instead of waiting for new records")
    .option("-c, --count <n>", "exit after this many records", wholeNumber(1))
    .option(
      "-f, --format <format>",
      "how to print each record: %t topic %p partition %o offset %k key %s value %T timestamp %h headers %K %S lengths, \\n \\t",
    )
    .option("-K, --key-delimiter <sep>", "print the key, <sep>, then the value (without -f)")
    .option("--json", "print each record as one line of JSON")
    .option("-G, --group <group>", "read as a member of this consumer group (offsets are committed)")
    .action(async (topic: string, flags: ConsumeFlags & Parameters<typeof clientOf>[0]) => {
      printerOf(flags); // a bad -f fails before anything is read
      const client = clientOf(flags);
      const stop = new AbortController();
      // The first Ctrl-C stops cleanly (a group member commits and leaves); a second one exits at once.
      const interrupt = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on("SIGINT", interrupt);
      process.on("SIGTERM", interrupt);
      try {
        if (flags.group !== undefined) await consumeInGroup(client, topic, flags, stop);
        else await consumeDirect(client, topic, flags, stop);
      } finally {
        process.off("SIGINT", interrupt);
        process.off("SIGTERM", interrupt);
      }
    });
}
