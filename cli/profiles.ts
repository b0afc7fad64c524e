/**
 * Connection profiles: named worker URLs and tokens in the user's config directory
 * (`$XDG_CONFIG_HOME/tributary/config.json`, else `~/.config/tributary/config.json`), written
 * with mode 0600 since it holds tokens. `tributary profile add | list | use | remove` edits it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";

/** One profile: where the worker is and the token to call it with. */
export interface Profile {
  url?: string;
  token?: string;
}

/** The config file: the profiles by name, and the one used when none is named. */
export interface ProfileFile {
  current?: string;
  profiles: Record<string, Profile>;
}

const profileFileSchema = z.object({
  current: z.string().optional(),
  profiles: z.record(z.string(), z.object({ url: z.string().optional(), token: z.string().optional() })).default({}),
});

/** Where the config file is, for an environment. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "tributary", "config.json");
}

/** The profiles of the config file; none when there is no file. Throws naming the file when it is not valid. */
export function readProfiles(path = configPath()): ProfileFile {
  if (!existsSync(path)) return { profiles: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path} is not JSON (${(err as Error).message}): fix it or remove it`);
  }
  const parsed = profileFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${path} is not a Tributary config (${parsed.error.issues[0]?.message}): fix it or remove it`);
  }
  return parsed.data;
}

/** Writes the config file, readable by the user only (it holds tokens); atomically, through a rename. */
export function writeProfiles(file: ProfileFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}
