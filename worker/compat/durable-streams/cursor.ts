/**
 * Stream-Cursor for live reads (the protocol's CDN request-collapsing cursor): the number of
 * 20-second intervals since 2024-10-09, and always past the cursor the client sent, so a cache
 * can never serve a client the same long-poll answer in a loop. Same rule as the reference server.
 */
const EPOCH_MS = Date.UTC(2024, 9, 9);
const INTERVAL_S = 20;

export function responseCursor(clientCursor: string | undefined, now = Date.now(), random = Math.random): string {
  const current = Math.floor((now - EPOCH_MS) / (INTERVAL_S * 1000));
  const client = clientCursor ? Number.parseInt(clientCursor, 10) : Number.NaN;
  if (Number.isNaN(client) || client < current) return String(current);
  // At or ahead of the clock: jump 1 s to 1 h ahead (at least one interval) to stay monotonic.
  const jitterSeconds = 1 + Math.floor(random() * 3600);
  return String(client + Math.max(1, Math.ceil(jitterSeconds / INTERVAL_S)));
}
