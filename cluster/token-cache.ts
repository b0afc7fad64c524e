/**
 * Scoped tokens as the worker authenticates them: looked up in the Controller by the SHA-256
 * of the secret, and cached per isolate for TOKEN_CACHE_MS (unknown hashes too), so a request
 * does not ask the Controller every time. That is also the bound on a revoke: every worker
 * forgets the token within TOKEN_CACHE_MS; the worker that revokes it forgets it at once.
 */
import type { TokenRecord } from "./rpc/controller.ts";
import { controllerStub } from "./stubs.ts";

/** How long a worker keeps a token's record (or that a hash is unknown): the revocation bound. */
export const TOKEN_CACHE_MS = 5_000;
/** Past this many entries the cache starts over, so random tokens cannot grow it without bound. */
const MAX_ENTRIES = 10_000;

const cache = new Map<string, { token: TokenRecord | undefined; expires: number }>();

/** The token whose secret hashes to `hash` (hex SHA-256), or undefined if there is none. */
export async function tokenByHash(env: Env, hash: string): Promise<TokenRecord | undefined> {
  const hit = cache.get(hash);
  if (hit && hit.expires > Date.now()) return hit.token;
  const token = await controllerStub(env).tokenByHash(hash);
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(hash, { token, expires: Date.now() + TOKEN_CACHE_MS });
  return token;
}

/** Forgets a token in this isolate (after revoking it here). */
export function forgetToken(id: string): void {
  for (const [hash, entry] of cache) if (entry.token?.id === id) cache.delete(hash);
}

/** The hex SHA-256 of a token's secret, as the Controller keeps it. */
export async function hashSecret(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
