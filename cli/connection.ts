/**
 * Where the worker is and which token to use, for every command that calls the API: `--url` and
 * `--token`, else `--profile <name>`, else `TRIBUTARY_URL` and `TRIBUTARY_TOKEN`, else the
 * current profile (`tributary profile use`), else http://127.0.0.1:8787 and no token. Each of
 * the two is taken from the first source that has it.
 */
import type { Command } from "commander";
import { createClient, type TributaryClient } from "../sdk/client.ts";
import { UsageError } from "./output.ts";
import { configPath, type ProfileFile, readProfiles } from "./profiles.ts";

export const DEFAULT_URL = "http://127.0.0.1:8787";

/** The connection options a command was given. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
  profile?: string;
}

export interface ResolvedConnection {
  url: string;
  token: string;
  /** Where each came from, for messages: "--url", "TRIBUTARY_URL", "profile prod", "default". */
  urlFrom: string;
  tokenFrom: string;
}

/**
 * Resolves the URL and token (pure: the flags, the environment and the profiles are given).
 * Throws naming what to do when there is no token, or when `--profile` names no profile.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Record<string, string | undefined>,
  file: ProfileFile,
): ResolvedConnection {
  if (flags.profile !== undefined && !Object.hasOwn(file.profiles, flags.profile)) {
    const known = Object.keys(file.profiles);
    throw new UsageError(
      `--profile ${flags.profile}: there is no such profile (${known.length > 0 ? `there are: ${known.join(", ")}` : "there are none"}; add one with tributary profile add)`,
    );
  }
  const named = flags.profile !== undefined ? file.profiles[flags.profile] : undefined;
  const current = file.current !== undefined ? file.profiles[file.current] : undefined;
  const sources: [string, { url?: string; token?: string } | undefined][] = [
    ["--url/--token", { url: flags.url, token: flags.token }],
    [`profile ${flags.profile}`, named],
    ["TRIBUTARY_URL/TRIBUTARY_TOKEN", { url: env.TRIBUTARY_URL || undefined, token: env.TRIBUTARY_TOKEN || undefined }],
    [`profile ${file.current}`, current],
  ];
  const pick = (field: "url" | "token") => {
    for (const [from, source] of sources) {
      const value = source?.[field];
      if (value !== undefined && value !== "") return { value, from };
    }
    return undefined;
  };
  const url = pick("url");
  const token = pick("token");
  if (!token) {
    throw new UsageError(
      "no token: pass --token, set TRIBUTARY_TOKEN, or add a profile (tributary profile add NAME --url URL --token TOKEN)",
    );
  }
  return { url: url?.value ?? DEFAULT_URL, token: token.value, urlFrom: url?.from ?? "default", tokenFrom: token.from };
}

/** Adds `--url`, `--token` and `--profile` to a command. */
export function withConnection(command: Command): Command {
  return command
    .option("--url <url>", `the Tributary worker (default $TRIBUTARY_URL, the profile's, or ${DEFAULT_URL})`)
    .option("--token <token>", "the bearer token (default $TRIBUTARY_TOKEN, or the profile's)")
    .option("--profile <name>", `a profile of ${configPath()} (tributary profile add)`);
}

/** A client of the worker the command's options name. */
export function clientOf(flags: ConnectionFlags): TributaryClient {
  const { url, token } = resolveConnection(flags, process.env, readProfiles());
  return createClient({ url, token });
}
