/**
 * `tributary`: the command line of the platform. Each command is a module of cli/commands/;
 * arguments are parsed by commander. Every error, commander's usage errors too, ends the process
 * with one line on stderr, `tributary: <CODE>: <message>`, and a non-zero exit (2 for usage).
 */
import { Command, CommanderError } from "commander";
import { appCommand } from "./commands/app.ts";
import { consumeCommand } from "./commands/consume.ts";
import { gatewayCommand } from "./commands/gateway.ts";
import { groupCommand } from "./commands/group.ts";
import { produceCommand } from "./commands/produce.ts";
import { profileCommand } from "./commands/profile.ts";
import { queueCommand } from "./commands/queue.ts";
import { tokensCommand } from "./commands/tokens.ts";
import { topicCommand } from "./commands/topic.ts";
import { describeError } from "./output.ts";

const program = new Command("tributary").description(
  "Tributary, Kafka on Cloudflare Workers and Durable Objects: the command line",
);

for (const command of [
  topicCommand(),
  produceCommand(),
  consumeCommand(),
  groupCommand(),
  queueCommand(),
  appCommand(),
  tokensCommand(),
  profileCommand(),
  gatewayCommand(),
]) {
  program.addCommand(command);
}

/** Every command throws instead of exiting, and prints its usage errors through describeError. */
function quiet(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => {}, writeErr: () => {} });
  for (const sub of command.commands) quiet(sub);
}
quiet(program);

/** The command an argv names, as far as it goes (for "missing command" messages). */
function commandOf(argv: string[]): Command {
  let command = program;
  for (const arg of argv) {
    const next = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) break;
    command = next;
  }
  return command;
}

// Output cut short by the reader (`| head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError && (err.exitCode === 0 || err.code === "commander.helpDisplayed")) {
    process.exitCode = 0;
  } else if (err instanceof CommanderError && err.code === "commander.help") {
    // A command of commands called without one: commander printed its help to stderr.
    const command = commandOf(process.argv.slice(2));
    process.exitCode = 2;
    process.stderr.write(
      `tributary: USAGE: ${command.name()} needs a command: ${command.commands.map((c) => c.name()).join(", ")} (see tributary ${command.name()} --help)\n`,
    );
  } else {
    const { line, exitCode } = describeError(err);
    process.stderr.write(`${line}\n`);
    process.exitCode = exitCode;
  }
}
