/**
 * `tributary app`: the deployment's stream apps: list them, describe one (its tasks' offsets,
 * lag, counters and errors), and query a store (an interactive query) by key and window range.
 */
import { Command } from "commander";
import { wholeNumber } from "../args.ts";
import { clientOf, withConnection } from "../connection.ts";
import { cell, printAnswer, printJson, printTable, UsageError, writeOut } from "../output.ts";

/** A time for --from / --to: ms since the epoch, or an ISO date. */
function time(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`${text}: give a time as ms since the epoch or an ISO date`);
  return at;
}

export function appCommand(): Command {
  const app = new Command("app").description("stream apps: list, describe, and query their stores");

  app.addCommand(
    withConnection(new Command("list"))
      .alias("ls")
      .description("list the deployment's stream apps (listing starts them)")
      .option("--json", "print JSON")
      .action(async (opts) => {
        const apps = await clientOf(opts).admin().listApps();
        await printAnswer(opts, apps, () => ({
          head: ["app", "state", "tasks", "reason"],
          rows: apps.map((a) => [a.name, a.state, a.tasks, a.reason]),
        }));
      }),
  );

  app.addCommand(
    withConnection(new Command("describe"))
      .description("an app's tasks: offsets and lag per source, counters, last error")
      .argument("<app>", "the app")
      .option("--json", "print JSON")
      .action(async (name: string, opts) => {
        const described = await clientOf(opts).admin().describeApp(name);
        if (opts.json) return printJson(described);
        await writeOut(
          `app           ${described.name}\nstate         ${described.state}${described.reason ? `\nreason        ${described.reason}` : ""}\ntasks         ${described.tasks.length}\nlag           ${described.lag}\n\nTASKS\n`,
        );
        await printTable(
          ["sub-topology", "partition", "sources (topic@offset, lag)", "processed", "produced", "late", "last error"],
          described.tasks.map((t) => [
            t.subTopology,
            t.partition,
            t.sources.map((s) => `${s.topic}@${s.offset} lag ${cell(s.lag)}`).join("; "),
            t.counters.processed,
            t.counters.produced,
            t.counters.late,
            t.lastError,
          ]),
        );
      }),
  );

  app.addCommand(
    withConnection(new Command("query"))
      .description("entries of an app's store: one key, a window range, or all (up to --limit)")
      .argument("<app>", "the app")
      .argument("<store>", "the store")
      .option("-k, --key <key>", "only this key")
      .option("--from <time>", "windows starting at or after (ms since the epoch, or an ISO date)", time)
      .option("--to <time>", "windows starting at or before (ms since the epoch, or an ISO date)", time)
      .option("-l, --limit <n>", "at most this many entries (1 to 10000)", wholeNumber(1))
      .option("--json", "print JSON")
      .action(async (name: string, store: string, opts) => {
        const entries = await clientOf(opts)
          .admin()
          .queryStore({ app: name, store, key: opts.key, from: opts.from, to: opts.to, limit: opts.limit });
        const windowed = entries.some((e) => e.windowStart !== undefined);
        await printAnswer(opts, entries, () => ({
          head: windowed ? ["key", "window start", "window end", "value"] : ["key", "value"],
          rows: entries.map((e) =>
            windowed
              ? [
                  e.key,
                  e.windowStart !== undefined ? new Date(e.windowStart).toISOString() : undefined,
                  e.windowEnd !== undefined ? new Date(e.windowEnd).toISOString() : undefined,
                  e.value,
                ]
              : [e.key, e.value],
          ),
        }));
      }),
  );

  return app;
}
