/**
 * Topic ids to names, for the requests that name topics by id only (Fetch v13 and later):
 * Tributary's ids come with its topic list, which is asked again when an id is not known yet.
 * The names are kept a few seconds, in memory only (a topic deleted and created again has a
 * new id, so an old entry can only miss, never mislead).
 */
import type { RequestContext } from "./context.ts";
import { listTopics } from "./handlers/metadata.ts";

const TTL_MS = 10_000;
const names = new Map<string, { name: string; until: number }>();

/** The names of `ids` (undefined for an id no topic has). */
export async function topicNames(
  ctx: RequestContext,
  ids: readonly string[],
): Promise<Map<string, string | undefined>> {
  const now = Date.now();
  const out = new Map<string, string | undefined>();
  let missing = false;
  for (const id of ids) {
    const hit = names.get(id);
    if (hit && hit.until > now) out.set(id, hit.name);
    else missing = true;
  }
  if (!missing) return out;
  for (const t of await listTopics(ctx)) {
    if (t.id) names.set(t.id, { name: t.name, until: now + TTL_MS });
  }
  for (const id of ids) out.set(id, names.get(id)?.name);
  return out;
}
