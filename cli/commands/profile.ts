/**
 * `tributary profile`: named connections (URL and token) in the user's config file, so that
 * commands need neither flags nor environment: add, list, use (make current), remove.
 */
import { Command } from "commander";
import { printAnswer, UsageError } from "../output.ts";
import { configPath, readProfiles, writeProfiles } from "../profiles.ts";

const mask = (token: string | undefined) =>
  token === undefined ? undefined : token.length <= 8 ? "****" : `${token.slice(0, 4)}…${token.slice(-4)}`;

export function profileCommand(): Command {
  const profile = new Command("profile").description(`named connections, kept in ${configPath()}`);

  profile.addCommand(
    new Command("add")
      .description("add (or replace) a profile; the first one added becomes the current one")
      .argument("<name>", "the profile's name")
      .requiredOption("--url <url>", "the Tributary worker")
      .option("--token <token>", "the bearer token")
      .option("--use", "make it the current profile")
      .action((name: string, opts) => {
        const file = readProfiles();
        file.profiles[name] = { url: opts.url, ...(opts.token ? { token: opts.token } : {}) };
        if (opts.use || file.current === undefined) file.current = name;
        writeProfiles(file);
        console.log(`profile ${name} saved${file.current === name ? " (current)" : ""}`);
      }),
  );

  profile.addCommand(
    new Command("list")
      .alias("ls")
      .description("list the profiles (tokens masked)")
      .option("--json", "print JSON (tokens masked)")
      .action(async (opts) => {
        const file = readProfiles();
        const rows = Object.entries(file.profiles).map(([name, p]) => ({
          name,
          current: name === file.current,
          url: p.url,
          token: mask(p.token),
        }));
        await printAnswer(opts, rows, () => ({
          head: ["", "name", "url", "token"],
          rows: rows.map((r) => [r.current ? "*" : "", r.name, r.url, r.token]),
        }));
      }),
  );

  profile.addCommand(
    new Command("use")
      .description("make a profile the current one (used when no --url, --token or TRIBUTARY_* is given)")
      .argument("<name>", "the profile")
      .action((name: string) => {
        const file = readProfiles();
        if (!Object.hasOwn(file.profiles, name))
          throw new UsageError(`there is no profile ${name} (tributary profile list)`);
        file.current = name;
        writeProfiles(file);
        console.log(`using profile ${name}`);
      }),
  );

  profile.addCommand(
    new Command("remove")
      .alias("rm")
      .description("remove a profile")
      .argument("<name>", "the profile")
      .action((name: string) => {
        const file = readProfiles();
        if (!Object.hasOwn(file.profiles, name))
          throw new UsageError(`there is no profile ${name} (tributary profile list)`);
        delete file.profiles[name];
        if (file.current === name) file.current = undefined;
        writeProfiles(file);
        console.log(`profile ${name} removed`);
      }),
  );

  return profile;
}
