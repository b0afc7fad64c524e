/**
 * The topic behind a stream path. Deterministic, and always a valid topic name
 * (`^[a-zA-Z0-9._-]{1,249}$`): `ds.` + a readable form of the path + a hash of the exact path,
 * so two paths that read the same (`a/b` and `a_b`) still get different topics.
 */
const READABLE_MAX = 160;

export async function topicNameFor(path: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(path)));
  const hash = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  const readable = path
    .replace(/^\/+/, "")
    .replace(/[^a-zA-Z0-9._-]+/g, "_")
    .slice(0, READABLE_MAX);
  return `ds.${readable}.${hash}`;
}
