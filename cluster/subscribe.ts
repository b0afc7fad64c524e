/**
 * Push delivery: a WebSocket or Server-Sent Events stream of one partition, served by its
 * leader's object (its fetch handler). The partition and start offset are validated here and
 * handed over in a header, so the object trusts no URL a client made up.
 */
import type { Result } from "../sdk/protocol/errors.ts";
import { leaderRef } from "./leaders.ts";
import { offsetAt, onPartition, type TopicArg } from "./reads.ts";
import { SUBSCRIBE_REF_HEADER } from "./rpc/partition-log.ts";
import { partitionStub } from "./stubs.ts";

/** The request headers a WebSocket upgrade needs passed on to the object. */
const UPGRADE_HEADERS = [
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
];

/**
 * Opens a subscription from `at` (an offset, or the log's start or end). `headers` are the
 * client's: with a WebSocket upgrade the answer is the upgrade, else an SSE stream.
 */
export function subscribePartition(
  env: Env,
  topic: TopicArg,
  partition: number,
  at: number | "earliest" | "latest",
  headers: Headers,
): Promise<Result<{ response: Response }>> {
  return onPartition(env, topic, partition, async (meta) => {
    let offset: number;
    if (typeof at === "number") offset = at;
    else {
      const found = await offsetAt(env, meta, partition, at);
      if (!found.ok) return found;
      offset = found.offset;
    }
    const ref = leaderRef(meta, partition);
    const forwarded = new Headers({ [SUBSCRIBE_REF_HEADER]: JSON.stringify(ref) });
    for (const h of UPGRADE_HEADERS) {
      const v = headers.get(h);
      if (v) forwarded.set(h, v);
    }
    const response = await partitionStub(env, ref).fetch(
      new Request(`https://partition.internal/subscribe?offset=${offset}`, { headers: forwarded }),
    );
    return { ok: true, response };
  });
}
