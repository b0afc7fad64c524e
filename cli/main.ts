/**
 * `tributary`: the command line of the platform. Each command is a module of cli/commands/;
 * arguments are parsed by commander. Errors end the process with one line and a non-zero exit.
 */
import { Command } from "commander";
import { gatewayCommand } from "./commands/gateway.ts";
import { tokensCommand } from "./commands/tokens.ts";

const program = new Command("tributary")
  .description("Tributary, Kafka on Cloudflare Workers and Durable Objects: the command line")
  .showHelpAfterError();

program.addCommand(gatewayCommand());
program.addCommand(tokensCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`tributary: ${(err as Error).message}`);
  process.exitCode = 1;
}
