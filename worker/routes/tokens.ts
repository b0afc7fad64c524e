/**
 * Scoped tokens: issue (the secret is answered once, only its hash is stored), list, revoke,
 * and `GET /v1/token`, who the calling token is. Managing tokens takes `alter` on the cluster;
 * a token that is not a superuser may issue only rights it holds itself, expiring no later
 * than it does and within its own quota.
 */
import { Hono } from "hono";
import { controllerStub } from "../../cluster/stubs.ts";
import { forgetToken, hashSecret } from "../../cluster/token-cache.ts";
import { bytesToBase64 } from "../../sdk/base64.ts";
import { type CreateToken, createTokenSchema, type TokenQuota } from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { ApiError, unwrap } from "../errors.ts";
import { uncovered } from "../middleware/acl.ts";
import { type Principal, SCOPED_TOKEN_PREFIX } from "../middleware/auth.ts";
import { authorize, denied, principalOf } from "../middleware/authorize.ts";
import { validate } from "../validate.ts";

/** A new secret: 32 random bytes, base64url, after the scoped-token prefix. */
function newSecret(): string {
  const base64 = bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
  return SCOPED_TOKEN_PREFIX + base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The request as the issuer may make it: its own rights, expiry and quota bound the new token's. */
function boundedBy(issuer: Principal, input: CreateToken): CreateToken {
  if (input.expiresAt !== undefined && input.expiresAt <= Date.now()) {
    throw new ApiError("INVALID_REQUEST", "expiresAt is in the past: give a time to come, in ms since the epoch", {
      field: "expiresAt",
    });
  }
  if (issuer.superuser) return input;
  const missing = uncovered(issuer.acls, input.acls);
  if (missing) {
    const e = denied(issuer, missing.acl.resource, missing.acl.pattern, missing.operation);
    throw new ApiError(e.code, `${e.message}; a token can issue only rights it holds`, e.details);
  }
  const expiresAt = Math.min(input.expiresAt ?? Number.POSITIVE_INFINITY, issuer.expiresAt ?? Number.POSITIVE_INFINITY);
  const quota = capped(input.quota, issuer.quota);
  return {
    ...input,
    ...(Number.isFinite(expiresAt) ? { expiresAt } : {}),
    ...(quota ? { quota } : {}),
  };
}

function capped(wanted: TokenQuota | undefined, cap: TokenQuota | undefined): TokenQuota | undefined {
  if (!cap) return wanted;
  const min = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);
  const recordsPerSecond = min(wanted?.recordsPerSecond, cap.recordsPerSecond);
  const bytesPerSecond = min(wanted?.bytesPerSecond, cap.bytesPerSecond);
  return {
    ...(recordsPerSecond === undefined ? {} : { recordsPerSecond }),
    ...(bytesPerSecond === undefined ? {} : { bytesPerSecond }),
  };
}

export const tokensRoutes = new Hono<{ Bindings: Env }>()
  .post("/tokens", async (c) => {
    authorize(c, "cluster", "cluster", "alter");
    const input = validate(createTokenSchema, (await readJson(c)).json, "token");
    const { name, acls, expiresAt, quota } = boundedBy(principalOf(c), input);
    const token = newSecret();
    const info = await controllerStub(c.env).createToken({
      name,
      hash: await hashSecret(token),
      acls,
      ...(quota ? { quota } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
    return c.json({ ...info, token }, 201);
  })
  .get("/tokens", async (c) => {
    authorize(c, "cluster", "cluster", "alter");
    return c.json({ tokens: await controllerStub(c.env).listTokens() });
  })
  .delete("/tokens/:id", async (c) => {
    authorize(c, "cluster", "cluster", "alter");
    const id = c.req.param("id");
    unwrap(await controllerStub(c.env).revokeToken(id));
    forgetToken(id);
    return c.json({ revoked: id });
  })
  // Who the calling token is; needs no right (the Kafka gateway checks SASL passwords with it).
  .get("/token", (c) => {
    const { superuser, id, name, acls, quota, expiresAt } = principalOf(c);
    return c.json({
      ...(id ? { id } : {}),
      name,
      superuser,
      acls,
      ...(quota ? { quota } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
  });
