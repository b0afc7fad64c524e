/**
 * `tributary queue`: a queue-mode group's figures (backlog, in flight, dead-lettered, …) and
 * redriving its dead letters back to the topic.
 */
import { Command } from "commander";
import type { Admin } from "../../sdk/index.ts";
import { wholeNumber } from "../args.ts";
import { clientOf, withConnection } from "../connection.ts";
import { printAnswer, printJson, printTable, writeOut } from "../output.ts";

/** The admin calls of queue mode's figures and redrive (sdk/admin.ts, from the observe branch). */
interface QueueAdmin {
  queueStats(group: string, options?: { topic?: string }): Promise<Record<string, unknown>>;
  redriveQueue(options: { group: string; topic?: string; maxRecords?: number }): Promise<Record<string, unknown>>;
}

function queueAdmin(admin: Admin): QueueAdmin {
  const calls = admin as unknown as Partial<QueueAdmin>;
  if (typeof calls.queueStats !== "function" || typeof calls.redriveQueue !== "function") {
    throw new Error("this build's SDK has no queue stats or redrive (admin.queueStats, admin.redriveQueue)");
  }
  return calls as QueueAdmin;
}

const FIGURES = ["backlog", "inFlight", "delayed", "redeliverable", "redeliveries", "acked", "deadLettered"];

export function queueCommand(): Command {
  const queue = new Command("queue").description("queue mode: a group's figures, and redriving its dead letters");

  queue.addCommand(
    withConnection(new Command("stats"))
      .description("a queue-mode group's config and figures: backlog, in flight, dead-lettered, …")
      .argument("<group>", "the group")
      .option("-t, --topic <topic>", "the queue's topic, when the group reads more than one")
      .option("--json", "print JSON")
      .action(async (group: string, opts) => {
        const stats = await queueAdmin(clientOf(opts).admin()).queueStats(
          group,
          opts.topic ? { topic: opts.topic } : {},
        );
        if (opts.json) return printJson(stats);
        const { partitions, ...summary } = stats as { partitions?: Record<string, unknown>[] };
        await printTable(
          ["name", "value"],
          Object.entries(summary).map(([k, v]) => [k, v]),
        );
        if (Array.isArray(partitions) && partitions.length > 0) {
          await writeOut("\nPARTITIONS\n");
          const head = ["partition", "highWatermark", "committed", ...FIGURES];
          await printTable(
            head,
            partitions.map((p) => head.map((h) => p[h])),
          );
        }
      }),
  );

  queue.addCommand(
    withConnection(new Command("redrive"))
      .description("move a group's dead letters back to its topic, to be delivered again")
      .argument("<group>", "the group")
      .option("-t, --topic <topic>", "the queue's topic, when the group reads more than one")
      .option("-n, --max-records <n>", "move at most this many (1 to 10000)", wholeNumber(1))
      .option("--json", "print JSON")
      .action(async (group: string, opts) => {
        const answer = await queueAdmin(clientOf(opts).admin()).redriveQueue({
          group,
          ...(opts.topic ? { topic: opts.topic } : {}),
          ...(opts.maxRecords !== undefined ? { maxRecords: opts.maxRecords } : {}),
        });
        await printAnswer(opts, answer, () => ({
          head: ["group", "redriven", "remaining"],
          rows: [[group, answer.redriven, answer.remaining]],
        }));
      }),
  );

  return queue;
}
