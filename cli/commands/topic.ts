/**
 * `tributary topic`: list, create, describe, alter-config, add-partitions and delete topics, in
 * rpk's words (`-p` partitions, `-r` replicas, `-c name=value` configs).
 */
import { Command } from "commander";
import type { TopicDescription } from "../../sdk/index.ts";
import { wholeNumber } from "../args.ts";
import { collectConfig } from "../config-args.ts";
import { clientOf, withConnection } from "../connection.ts";
import { printAnswer, printJson, printTable, UsageError, writeOut } from "../output.ts";

const admin = (opts: Parameters<typeof clientOf>[0]) => clientOf(opts).admin();

/** A topic description as text: a summary, its partitions, and its configs. */
async function printDescription(topic: TopicDescription): Promise<void> {
  await writeOut(
    `name          ${topic.name}\nid            ${topic.id}\npartitions    ${topic.partitions.length}\nreplication   ${topic.replicationFactor}\ncreated       ${new Date(topic.createdAt).toISOString()}\n\nPARTITIONS\n`,
  );
  await printTable(
    ["partition", "log start", "high watermark", "records", "bytes", "leader", "epoch", "replicas", "isr"],
    topic.partitions.map((p) => [
      p.partition,
      p.logStartOffset,
      p.highWatermark,
      p.highWatermark - p.logStartOffset,
      p.bytes,
      p.leader,
      p.leaderEpoch,
      p.replicas,
      p.isr,
    ]),
  );
  await writeOut("\nCONFIGS\n");
  await printTable(
    ["name", "value"],
    Object.entries(topic.config).map(([k, v]) => [k, v]),
  );
}

export function topicCommand(): Command {
  const topic = new Command("topic").description("list, create, describe, change and delete topics");

  topic.addCommand(
    withConnection(new Command("list"))
      .alias("ls")
      .description("list the topics")
      .option("--json", "print JSON")
      .action(async (opts) => {
        const topics = await admin(opts).listTopics();
        await printAnswer(opts, topics, () => ({
          head: ["name", "partitions", "replicas", "cleanup", "retention ms"],
          rows: topics.map((t) => [
            t.name,
            t.partitions,
            t.replicationFactor,
            t.config?.cleanupPolicy,
            t.config?.retentionMs,
          ]),
        }));
      }),
  );

  topic.addCommand(
    withConnection(new Command("create"))
      .description("create topics")
      .argument("<topics...>", "the names")
      .option("-p, --partitions <n>", "partitions (1 to 1024)", wholeNumber(1), 1)
      .option("-r, --replicas <n>", "the replication factor (1 to 5; the server's default is 3)", wholeNumber(1))
      .option(
        "-c, --topic-config <name=value>",
        "a config, repeatable: retention.ms=3600000, cleanup.policy=compact",
        collectConfig,
      )
      .option("--json", "print JSON")
      .action(async (names: string[], opts) => {
        const a = admin(opts);
        const created: TopicDescription[] = [];
        for (const name of names) {
          created.push(
            await a.createTopic({
              topic: name,
              partitions: opts.partitions,
              ...(opts.replicas !== undefined ? { replicationFactor: opts.replicas } : {}),
              ...(opts.topicConfig ? { config: opts.topicConfig } : {}),
            }),
          );
        }
        await printAnswer(opts, created, () => ({
          head: ["topic", "partitions", "replicas", "status"],
          rows: created.map((t) => [t.name, t.partitions.length, t.replicationFactor, "created"]),
        }));
      }),
  );

  topic.addCommand(
    withConnection(new Command("describe"))
      .description("a topic's partitions (offsets, leader, epoch, ISR) and configs")
      .argument("<topic>", "the topic")
      .option("--json", "print JSON")
      .action(async (name: string, opts) => {
        const described = await admin(opts).describeTopic(name);
        if (opts.json) await printJson(described);
        else await printDescription(described);
      }),
  );

  topic.addCommand(
    withConnection(new Command("alter-config"))
      .description("change a topic's configs")
      .argument("<topic>", "the topic")
      .option("-s, --set <name=value>", "a config to set, repeatable: retention.ms=3600000", collectConfig)
      .option("--json", "print JSON")
      .action(async (name: string, opts) => {
        if (!opts.set) throw new UsageError("alter-config: give at least one --set name=value");
        const updated = await admin(opts).updateTopic(name, { config: opts.set });
        await printAnswer(opts, updated, () => ({
          head: ["name", "value"],
          rows: Object.keys(opts.set).map((k) => [k, (updated.config as Record<string, unknown>)[k]]),
        }));
      }),
  );

  topic.addCommand(
    withConnection(new Command("add-partitions"))
      .description("add partitions to a topic (counts only go up)")
      .argument("<topic>", "the topic")
      .requiredOption("-n, --num <n>", "how many partitions to add", wholeNumber(1))
      .option("--json", "print JSON")
      .action(async (name: string, opts) => {
        const a = admin(opts);
        const before = await a.describeTopic(name);
        const updated = await a.createPartitions({ topic: name, count: before.partitions.length + opts.num });
        await printAnswer(opts, updated, () => ({
          head: ["topic", "partitions before", "partitions now"],
          rows: [[name, before.partitions.length, updated.partitions.length]],
        }));
      }),
  );

  topic.addCommand(
    withConnection(new Command("delete"))
      .alias("rm")
      .description("delete topics and all their records")
      .argument("<topics...>", "the names")
      .option("--json", "print JSON")
      .action(async (names: string[], opts) => {
        const a = admin(opts);
        for (const name of names) await a.deleteTopic(name);
        await printAnswer(opts, { deleted: names }, () => ({
          head: ["topic", "status"],
          rows: names.map((n) => [n, "deleted"]),
        }));
      }),
  );

  return topic;
}
