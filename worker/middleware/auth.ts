/**
 * Authentication: who a bearer token is. The tokens of the TRIBUTARY_TOKENS secret (a
 * comma-separated list; locally from .dev.vars) are superusers, compared in constant time.
 * Any other token is a scoped one (`trb_…`, issued by POST /v1/tokens): the worker hashes it,
 * finds its record by the hash (cluster/token-cache.ts) and compares the hashes in constant
 * time. What a principal may do is authorize.ts's business.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { hashSecret, tokenByHash } from "../../cluster/token-cache.ts";
import type { Acl, TokenQuota } from "../../sdk/protocol/schemas.ts";
import { ApiError } from "../errors.ts";

/** Who is calling: a superuser of TRIBUTARY_TOKENS, or a scoped token with its ACLs. */
export interface Principal {
  superuser: boolean;
  /** The scoped token's name; "bootstrap" for a superuser. */
  name: string;
  /** The scoped token's id (none for a superuser). */
  id?: string;
  /** What a scoped token may do (a superuser may do everything and has none). */
  acls: Acl[];
  quota?: TokenQuota;
  expiresAt?: number;
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by the auth middleware for every authenticated request. */
    principal: Principal;
  }
}

/** What every scoped token's secret starts with; other tokens are never looked up. */
export const SCOPED_TOKEN_PREFIX = "trb_";

const encoder = new TextEncoder();

function parseTokens(raw: string | undefined): Uint8Array[] {
  return (raw ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => encoder.encode(t));
}

let cached: { raw: string | undefined; tokens: Uint8Array[] } | undefined;

function tokensOf(env: Env): Uint8Array[] {
  if (cached?.raw !== env.TRIBUTARY_TOKENS)
    cached = { raw: env.TRIBUTARY_TOKENS, tokens: parseTokens(env.TRIBUTARY_TOKENS) };
  return cached.tokens;
}

function matches(given: Uint8Array, tokens: Uint8Array[]): boolean {
  let ok = false;
  for (const token of tokens) {
    if (token.byteLength === given.byteLength && crypto.subtle.timingSafeEqual(token, given)) ok = true;
  }
  return ok;
}

const SUPERUSER: Principal = { superuser: true, name: "bootstrap", acls: [] };

/** How a layer carries its token: the WWW-Authenticate header of its 401, and what its messages call the token. */
export interface Credentials {
  challenge: Record<string, string>;
  /** "the bearer token", or "the password" (Upstash's Basic auth). */
  called: string;
}

/**
 * The principal a token stands for, or UNAUTHENTICATED (thrown) with why: unknown, revoked or
 * expired.
 */
export async function authenticate(env: Env, token: string, { challenge, called }: Credentials): Promise<Principal> {
  if (matches(encoder.encode(token), tokensOf(env))) return SUPERUSER;
  const refused = (message: string) => new ApiError("UNAUTHENTICATED", message, undefined, challenge);
  if (!token.startsWith(SCOPED_TOKEN_PREFIX)) {
    if (tokensOf(env).length === 0) {
      throw refused(
        "no API tokens are configured: set the TRIBUTARY_TOKENS secret (wrangler secret put TRIBUTARY_TOKENS)",
      );
    }
    throw refused(`${called} is not a valid Tributary API token (one of TRIBUTARY_TOKENS, or a scoped token)`);
  }
  const hash = await hashSecret(token);
  const record = await tokenByHash(env, hash);
  if (!record || !crypto.subtle.timingSafeEqual(encoder.encode(record.hash), encoder.encode(hash))) {
    throw refused(`${called} is not a valid Tributary API token: it is unknown or was revoked`);
  }
  if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) {
    throw refused(`the token '${record.name}' expired at ${new Date(record.expiresAt).toISOString()}`);
  }
  const { id, name, acls, quota, expiresAt } = record;
  return { superuser: false, id, name, acls, ...(quota ? { quota } : {}), ...(expiresAt ? { expiresAt } : {}) };
}

const BEARER: Credentials = {
  challenge: { "WWW-Authenticate": 'Bearer realm="tributary"' },
  called: "the bearer token",
};

/**
 * The bearer token of a request. Browsers' WebSocket and EventSource cannot send headers, so
 * subscribe also takes `?token=` (which then ends up in URLs and logs: give a page a token
 * that may do little).
 */
function bearerOf(c: Context): string {
  const query = c.req.path.endsWith("/subscribe") ? c.req.query("token") : undefined;
  const header = c.req.header("authorization") ?? (query ? `Bearer ${query}` : "");
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) {
    throw new ApiError(
      "UNAUTHENTICATED",
      "missing bearer token: send 'Authorization: Bearer <token>'",
      undefined,
      BEARER.challenge,
    );
  }
  return match[1]!.trim();
}

/** Authenticates the request's bearer token and keeps its principal in the context (`c.get("principal")`). */
export async function authenticateRequest(c: Context<{ Bindings: Env }>): Promise<Principal> {
  const principal = await authenticate(c.env, bearerOf(c), BEARER);
  c.set("principal", principal);
  return principal;
}

/** Bearer-token auth for the API and the Durable Streams routes: 401 unless the token is valid. */
export const bearerAuth = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  await authenticateRequest(c);
  await next();
});
