/**
 * Bearer-token auth. Tokens come from the TRIBUTARY_TOKENS secret (a comma-separated list;
 * locally from .dev.vars). Comparison is constant-time.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors.ts";

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

/**
 * Whether `token` is one of the configured API tokens (constant-time). For routes that carry
 * the token another way than a bearer header (the Upstash compatibility API's Basic auth).
 */
export function isValidToken(env: Env, token: string): boolean {
  return matches(encoder.encode(token), tokensOf(env));
}

export const bearerAuth = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const tokens = tokensOf(c.env);
  const challenge = { "WWW-Authenticate": 'Bearer realm="tributary"' };
  if (tokens.length === 0) {
    throw new ApiError(
      "UNAUTHENTICATED",
      "no API tokens are configured: set the TRIBUTARY_TOKENS secret (wrangler secret put TRIBUTARY_TOKENS)",
      undefined,
      challenge,
    );
  }
  // Browsers' WebSocket and EventSource cannot send headers: subscribe also takes ?token=.
  const query = c.req.path.endsWith("/subscribe") ? c.req.query("token") : undefined;
  const header = c.req.header("authorization") ?? (query ? `Bearer ${query}` : "");
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) {
    throw new ApiError(
      "UNAUTHENTICATED",
      "missing bearer token: send 'Authorization: Bearer <token>'",
      undefined,
      challenge,
    );
  }
  if (!matches(encoder.encode(match[1]!.trim()), tokens)) {
    throw new ApiError("UNAUTHENTICATED", "the bearer token is not valid", undefined, challenge);
  }
  await next();
});
