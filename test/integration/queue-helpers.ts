// Receiving from a queue-mode group over HTTP, for the queue tests.
import { call } from "../helpers/http.ts";

/** A record as `POST /v1/groups/:group/receive` answers it. */
export type Received = {
  topic: string;
  partition: number;
  offset: number;
  value: unknown;
  key?: string;
  headers?: Record<string, string>;
  receipt: string;
  deliveryCount: number;
};

/** The records a receive answers; throws with the answer when it is not a 200. */
export async function receive(group: string, body: Record<string, unknown>): Promise<Received[]> {
  const res = await call("POST", `/v1/groups/${group}/receive`, body);
  if (res.status !== 200) throw new Error(JSON.stringify(res.json));
  return res.json.records;
}
