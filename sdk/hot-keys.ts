/**
 * Helpers for hot keys: one key that takes so much traffic that its partition (one Durable
 * Object) becomes the bottleneck. Kafka's usual answers, with their costs:
 *
 * - No key: records spread evenly over partitions, but nothing keeps their order.
 * - A salted key (`saltedKey`): `key#n` with n random in [0, buckets), so one key's records go to
 *   up to `buckets` partitions. Order holds only among records of the same salt, and a consumer
 *   that needs the key's total must re-aggregate: strip the salt (`unsaltKey`) and combine the
 *   partial results of every salt, usually in a second, keyed stage.
 * - A compound key (`compoundKey`): the key plus another attribute (a region, a shard of the
 *   user id...), e.g. `ad-42:eu`. Records of one compound key stay in order, records of the same
 *   base key with different attributes may not, and the consumer again combines per base key.
 * - Back pressure: keep the key and let the producer slow down. Over a partition's quota the
 *   worker answers 429 THROTTLING_QUOTA_EXCEEDED with Retry-After, and the producer waits and
 *   retries on its own (see ProducerOptions), keeping full order at the quota's rate.
 */
import { invalidArgument } from "./errors.ts";

/** What separates a key from its salt: `ad-42#3`. */
export const SALT_SEPARATOR = "#";

/** What separates the parts of a compound key: `ad-42:eu`. */
export const COMPOUND_SEPARATOR = ":";

const MAX_BUCKETS = 1024;

/**
 * The key with a random salt from 0 to `buckets - 1` appended (`${key}#${n}`), so that one hot key
 * spreads over up to `buckets` partitions. Records with the same salted key keep their order;
 * records of the same key with different salts do not, and consumers that total per key must
 * combine the salts' partial results (see `unsaltKey`).
 *
 * @example
 * import { saltedKey, unsaltKey } from "tributary/sdk";
 *
 * await producer.send({ topic: "clicks", messages: [{ key: saltedKey("ad-42", 8), value: click }] });
 * // Consumer side: count per original key.
 * counts.set(unsaltKey(message.key), (counts.get(unsaltKey(message.key)) ?? 0) + 1);
 */
export function saltedKey(key: string, buckets: number, random: () => number = Math.random): string {
  if (typeof key !== "string") throw invalidArgument("saltedKey: key: must be a string");
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
    throw invalidArgument(`saltedKey: buckets: must be a whole number from 1 to ${MAX_BUCKETS}`);
  }
  const salt = Math.min(buckets - 1, Math.floor(random() * buckets));
  return `${key}${SALT_SEPARATOR}${salt}`;
}

/**
 * Every salted form of `key` for `buckets` salts: the keys to read or look up when collecting
 * everything one original key produced.
 */
export function saltedKeys(key: string, buckets: number): string[] {
  saltedKey(key, buckets);
  return Array.from({ length: buckets }, (_, n) => `${key}${SALT_SEPARATOR}${n}`);
}

/**
 * The original key of a salted key: `ad-42#3` → `ad-42`. A key without a salt is returned as it
 * is, and only a trailing `#<digits>` is removed, so keys may contain `#` themselves.
 */
export function unsaltKey(key: string): string {
  const match = /#\d+$/.exec(key);
  return match ? key.slice(0, match.index) : key;
}

function escapePart(part: string | number): string {
  return String(part).replace(/[\\:]/g, (c) => `\\${c}`);
}

/**
 * A key made of several parts, joined with `:` (a `:` or `\` inside a part is escaped with `\`,
 * so `splitCompoundKey` gives the parts back). Use it to split a hot key by another attribute:
 * records of one compound key keep their order, but records of the same first part may now land
 * on different partitions, so consumers combine them per first part.
 *
 * @example
 * import { compoundKey } from "tributary/sdk";
 *
 * await producer.send({ topic: "clicks", messages: [{ key: compoundKey("ad-42", click.region), value: click }] });
 */
export function compoundKey(...parts: Array<string | number>): string {
  if (parts.length === 0) throw invalidArgument("compoundKey: parts: give at least one part");
  for (const [i, part] of parts.entries()) {
    if (typeof part !== "string" && !(typeof part === "number" && Number.isFinite(part))) {
      throw invalidArgument(`compoundKey: parts[${i}]: must be a string or a finite number`);
    }
  }
  return parts.map(escapePart).join(COMPOUND_SEPARATOR);
}

/** The parts of a key made by `compoundKey` (as strings). */
export function splitCompoundKey(key: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    if (c === "\\" && i + 1 < key.length) current += key[++i];
    else if (c === COMPOUND_SEPARATOR) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts;
}
