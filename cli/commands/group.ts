/**
 * `tributary group`: list, describe (members, and per partition the committed offset, the high
 * watermark and the lag), reset-offsets and delete consumer groups.
 */
import { Command } from "commander";
import { clientOf, withConnection } from "../connection.ts";
import { parseResetTarget } from "../offset-spec.ts";
import { printAnswer, printJson, printTable, writeOut } from "../output.ts";

const lagHead = ["topic", "partition", "committed", "log start", "high watermark", "lag"];
const lagRow = (o: {
  topic: string;
  partition: number;
  committed: number | null;
  logStartOffset: number;
  highWatermark: number;
  lag: number;
}) => [o.topic, o.partition, o.committed, o.logStartOffset, o.highWatermark, o.lag];

export function groupCommand(): Command {
  const group = new Command("group").description("list, describe, reset and delete consumer groups");

  group.addCommand(
    withConnection(new Command("list"))
      .alias("ls")
      .description("list the consumer groups")
      .option("--json", "print JSON")
      .action(async (opts) => {
        const groups = await clientOf(opts).admin().listGroups();
        await printAnswer(opts, groups, () => ({
          head: ["group", "state", "members", "generation"],
          rows: groups.map((g) => [g.group, g.state, g.members, g.generation]),
        }));
      }),
  );

  group.addCommand(
    withConnection(new Command("describe"))
      .description("a group's state, members, and per partition its committed offset, high watermark and lag")
      .argument("<group>", "the group")
      .option("--json", "print JSON")
      .action(async (groupId: string, opts) => {
        const admin = clientOf(opts).admin();
        const [described, offsets] = await Promise.all([
          admin.describeGroup(groupId),
          admin.fetchGroupOffsets({ groupId }),
        ]);
        if (opts.json) return printJson({ ...described, offsets });
        await writeOut(
          `group         ${described.group}\nstate         ${described.state}\ngeneration    ${described.generation}\nassignor      ${described.assignor}\nmembers       ${described.members.length}\ntotal lag     ${described.totalLag}\n`,
        );
        if (described.members.length > 0) {
          await writeOut("\nMEMBERS\n");
          await printTable(
            ["member", "topics", "partitions"],
            described.members.map((m) => [m.memberId, m.topics, m.assignments.map((a) => `${a.topic}/${a.partition}`)]),
          );
        }
        await writeOut("\nOFFSETS\n");
        await printTable(lagHead, offsets.map(lagRow));
      }),
  );

  group.addCommand(
    withConnection(new Command("reset-offsets"))
      .alias("seek")
      .description("move a group's offsets of a topic (the group must have no member reading it)")
      .argument("<group>", "the group")
      .requiredOption("-t, --topic <topic>", "the topic")
      .requiredOption("--to <where>", "beginning, end, an offset, or @<ms since the epoch>", parseResetTarget)
      .option("--json", "print JSON")
      .action(async (groupId: string, opts) => {
        const offsets = await clientOf(opts).admin().resetGroupOffsets({ groupId, topic: opts.topic, to: opts.to });
        await printAnswer(opts, offsets, () => ({ head: lagHead, rows: offsets.map(lagRow) }));
      }),
  );

  group.addCommand(
    withConnection(new Command("delete"))
      .alias("rm")
      .description("delete groups and their committed offsets (they must have no members)")
      .argument("<groups...>", "the groups")
      .option("--json", "print JSON")
      .action(async (groups: string[], opts) => {
        const admin = clientOf(opts).admin();
        for (const g of groups) await admin.deleteGroup(g);
        await printAnswer(opts, { deleted: groups }, () => ({
          head: ["group", "status"],
          rows: groups.map((g) => [g, "deleted"]),
        }));
      }),
  );

  return group;
}
