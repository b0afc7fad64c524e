/**
 * `tributary queue`: a queue-mode group's figures (backlog, in flight, dead-lettered, …) and
 * redriving its dead letters back to the topic.
 */
import { Command } from "commander";
import { wholeNumber } from "../args.ts";
import { clientOf, withConnection } from "../connection.ts";
import { printAnswer, printJson, printTable, writeOut } from "../output.ts";

const FIGURES = ["backlog", "inFlight", "delayed", "redeliverable", "redeliveries", "acked", "deadLettered"] as const;

export function queueCommand(): Command {
  const queue = new Command("queue").description("queue mode: a group's figures, and redriving its dead letters");

  queue.addCommand(
    withConnection(new Command("stats"))
      .description("a queue-mode group's config and figures: backlog, in flight, dead-lettered, …")
      .argument("<group>", "the group")
      .option("-t, --topic <topic>", "the queue's topic, when the group reads more than one")
      .option("--json", "print JSON")
      .action(async (group: string, opts) => {
        const stats = await clientOf(opts)
          .admin()
          .queueStats(group, opts.topic ? { topic: opts.topic } : {});
        if (opts.json) return printJson(stats);
        const { partitions, ...summary } = stats;
        await printTable(
          ["name", "value"],
          Object.entries(summary).map(([k, v]) => [k, v]),
        );
        if (partitions.length > 0) {
          await writeOut("\nPARTITIONS\n");
          await printTable(
            ["partition", "high watermark", "committed", ...FIGURES],
            partitions.map((p) => [p.partition, p.highWatermark, p.committed, ...FIGURES.map((f) => p[f])]),
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
        const answer = await clientOf(opts)
          .admin()
          .redriveQueue({
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
