/**
 * `tributary tokens`: scoped tokens, through the API (docs/security.md). `create` prints the new
 * token with its secret (shown only this once), `list` the tokens without secrets, `revoke`
 * revokes one, `whoami` says who the calling token is. Answers are printed as JSON.
 */
import { Command } from "commander";
import { type AclArg, parseAcl, parseExpiry } from "../acl-args.ts";
import { wholeNumber } from "../args.ts";
import { type ConnectionFlags, clientOf, withConnection } from "../connection.ts";
import { printJson as print } from "../output.ts";

const admin = (opts: ConnectionFlags) => clientOf(opts).admin();
const positive = wholeNumber(1);

export function tokensCommand(): Command {
  const tokens = new Command("tokens").description("issue, list and revoke scoped tokens");
  tokens.addCommand(
    withConnection(new Command("create"))
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
        await print(
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
    withConnection(new Command("list"))
      .description("list the scoped tokens (never their secrets)")
      .action(async (opts) => print(await admin(opts).listTokens())),
  );
  tokens.addCommand(
    withConnection(new Command("revoke"))
      .description("revoke a token by id: every worker refuses it within 5 seconds")
      .argument("<id>", "the token's id (tok_…)")
      .action(async (id: string, opts) => {
        await admin(opts).revokeToken(id);
        await print({ revoked: id });
      }),
  );
  tokens.addCommand(
    withConnection(new Command("whoami"))
      .description("who the token is: its name, ACLs, expiry, quota, and whether it is a superuser")
      .action(async (opts) => print(await admin(opts).whoami())),
  );
  return tokens;
}
