// What several views read: every topic the token may see, described (offsets and bytes).
import { api, p, pooled } from "../api.js";

/** The topics with their partitions' offsets and bytes; a topic deleted meanwhile is left out. */
export async function describeTopics(signal) {
  const { topics } = await api("/topics", { signal });
  const described = await pooled(topics, 6, (t) => api(p("topics", t.name), { signal }).catch(() => undefined));
  return described.filter(Boolean);
}

/** Records and bytes of a described topic (records: high watermark minus log start, summed). */
export function totals(topic) {
  let records = 0;
  let bytes = 0;
  let end = 0;
  for (const part of topic.partitions) {
    records += part.highWatermark - part.logStartOffset;
    bytes += part.bytes ?? 0;
    end += part.highWatermark;
  }
  return { records, bytes, end };
}
