/**
 * `tributary tokens`: scoped tokens, through the API (docs/security.md). `create` prints the new
 * token with its secret (shown only this once), `list` the tokens without secrets, `revoke`
 * revokes one, `whoami` says who the calling token is. Answers are printed as JSON.
 */
import { Command, InvalidArgumentError } from "commander";
import { createClient } from "../../sdk/index.ts";
import { type AclArg, parseAcl, parseExpiry } from "../acl-args.ts";

interface Connection {
  url?: string;
  token?: string;
}

function admin(opts: Connection) {
  const token = opts.token ?? process.env.TRIBUTARY_TOKEN;
  if (!token) throw new Error("no token: pass --token or set TRIBUTARY_TOKEN (managing tokens needs cluster alter)");
  const url = opts.url ?? process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8787";
  return createClient({ url, token }).admin();
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number, at least 1");
  return n;
}

function connection(command: Command): Command {
  return command
    .option("--url <url>", "the Tributary worker (default $TRIBUTARY_URL or http://127.0.0.1:8787)")
    .option("--token <token>", "a token that may manage tokens (default $TRIBUTARY_TOKEN)");
}

export function tokensCommand(): Command {
  const tokens = new Command("tokens").description("issue, list and revoke scoped tokens");
  tokens.addCommand(
    connection(new Command("create"))
      .description("issue a scoped token and print it with its secret (shown only this once)")
      .requiredOption("--name <name>", "what the token is for")
      .option(
        "--acl <resource:pattern:operations>",
        "a right, repeatable: topic:clicks:write, group:dash-*:read, cluster:alter",
        (value: string, previous: AclArg[]) => [...previous, parseAcl(value)],
        [] as AclArg[],
      )
      .option("--expires <when>", "30d, 12h, 90m, an ISO date or ms since the epoch", (v: string) => parseExpiry(v))
      .option("--records-per-second <n>", "the token's produce quota in records", positive)
      .option("--bytes-per-second <n>", "the token's produce quota in bytes (at least 1024)", positive)
      .action(async (opts) => {
        const quota = {
          ...(opts.recordsPerSecond ? { recordsPerSecond: opts.recordsPerSecond } : {}),
          ...(opts.bytesPerSecond ? { bytesPerSecond: opts.bytesPerSecond } : {}),
        };
        print(
          await admin(opts).createToken({
            name: opts.name,
            acls: opts.acl,
            ...(opts.expires !== undefined ? { expiresAt: opts.expires } : {}),
            ...(Object.keys(quota).length > 0 ? { quota } : {}),
          }),
        );
      }),
  );
  tokens.addCommand(
    connection(new Command("list"))
      .description("list the scoped tokens (never their secrets)")
      .action(async (opts) => print(await admin(opts).listTokens())),
  );
  tokens.addCommand(
    connection(new Command("revoke"))
      .description("revoke a token by id: every worker refuses it within 5 seconds")
      .argument("<id>", "the token's id (tok_…)")
      .action(async (id: string, opts) => {
        await admin(opts).revokeToken(id);
        print({ revoked: id });
      }),
  );
  tokens.addCommand(
    connection(new Command("whoami"))
      .description("who the token is: its name, ACLs, expiry, quota, and whether it is a superuser")
      .action(async (opts) => print(await admin(opts).whoami())),
  );
  return tokens;
}
