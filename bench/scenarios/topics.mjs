// What several scenarios ask of Tributary's HTTP API: a fresh topic, its high watermark, a
// produce request; and the random suffix that makes the name of a topic, group or object fresh.

import { makeRecords } from "../records.mjs";
import { log } from "../report.mjs";

/** @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client */

export const unique = () => Math.random().toString(36).slice(2, 8);

/**
 * @param {Client} client @param {string} token @param {string} prefix
 * @param {{ replicationFactor?: number }} [settings]
 */
export async function createTopic(client, token, prefix, partitions = 1, settings = {}) {
  const name = `${prefix}-${unique()}`;
  // One replica unless a scenario asks for more: the single-partition rows measure the log itself.
  await client.json("POST", "/v1/topics", { name, partitions, replicationFactor: 1, ...settings }, token);
  return name;
}

/** @param {Client} client @param {string} token @param {string} topic */
export async function highWatermark(client, token, topic) {
  const d = await client.json("GET", `/v1/topics/${topic}`, undefined, token);
  return d.partitions[0].highWatermark;
}

/**
 * The topic's high watermark, checked against the records acknowledged: a difference is logged
 * here, and the row's notes show it from the stored figure.
 * @param {Client} client @param {string} token @param {string} topic @param {number} acknowledged
 */
export async function storedAfter(client, token, topic, acknowledged) {
  const stored = await highWatermark(client, token, topic);
  if (stored !== acknowledged) log(`  ! topic ${topic} holds ${stored} records but ${acknowledged} were acknowledged`);
  return stored;
}

/**
 * @param {string} token @param {string} topic @param {number} bytes @param {number} batch
 * @param {object} [fields] more fields of the body, after `records` (acks)
 */
export function produceRequest(token, topic, bytes, batch, fields = {}) {
  return {
    method: "POST",
    path: `/v1/topics/${topic}/partitions/0/records`,
    body: Buffer.from(JSON.stringify({ records: makeRecords(bytes, batch), ...fields })),
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  };
}
