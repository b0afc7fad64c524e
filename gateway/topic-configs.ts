/**
 * Kafka's topic configs and Tributary's, both ways: the names a Kafka client sends in
 * CreateTopics, DescribeConfigs, AlterConfigs and IncrementalAlterConfigs, and the topic config
 * fields of Tributary's API. A config Tributary has no counterpart of is refused (INVALID_CONFIG)
 * rather than dropped.
 */
import { TOPIC_DEFAULTS, type TopicConfig } from "../sdk/protocol/schemas.ts";

type Key =
  | "retentionMs"
  | "retentionBytes"
  | "maxMessageBytes"
  | "cleanupPolicy"
  | "minInsyncReplicas"
  | "deleteRetentionMs"
  | "minCompactionLagMs"
  | "maxCompactionLagMs"
  | "localRetentionMs"
  | "localRetentionBytes";

/** Kafka's config types (DescribeConfigs v3+). */
const INT = 3;
const LONG = 5;
const LIST = 7;

export interface KafkaConfig {
  name: string;
  key: Key;
  type: number;
  /** The value as Tributary's API takes it, or why the text is not a valid one. */
  parse(text: string): unknown | { invalid: string };
  /** The value as Kafka writes it (default: its text). */
  show?(value: unknown): string;
}

/** Kafka's Long.MAX_VALUE, which max.compaction.lag.ms takes for "no limit" (Tributary's -1). */
const LONG_MAX = "9223372036854775807";

const integer =
  (min: number, allowMinusOne: boolean) =>
  (text: string): number | { invalid: string } => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) return { invalid: `'${text}' is not a whole number` };
    if (allowMinusOne && n === -1) return n;
    return n >= min ? n : { invalid: `${n} is below ${min}${allowMinusOne ? " (or -1 for no limit)" : ""}` };
  };

export const KAFKA_CONFIGS: readonly KafkaConfig[] = [
  { name: "retention.ms", key: "retentionMs", type: LONG, parse: integer(1, true) },
  { name: "retention.bytes", key: "retentionBytes", type: LONG, parse: integer(1, true) },
  { name: "max.message.bytes", key: "maxMessageBytes", type: INT, parse: integer(1, false) },
  { name: "min.insync.replicas", key: "minInsyncReplicas", type: INT, parse: integer(1, false) },
  {
    name: "cleanup.policy",
    key: "cleanupPolicy",
    type: LIST,
    parse: (text) => {
      const policies = [
        ...new Set(
          text
            .split(",")
            .map((p) => p.trim())
            .filter(Boolean),
        ),
      ].sort();
      const joined = policies.join(",");
      return joined === "delete" || joined === "compact" || joined === "compact,delete"
        ? joined
        : { invalid: `cleanup.policy '${text}' is not supported (it takes delete, compact, or both)` };
    },
  },
  { name: "delete.retention.ms", key: "deleteRetentionMs", type: LONG, parse: integer(0, false) },
  { name: "min.compaction.lag.ms", key: "minCompactionLagMs", type: LONG, parse: integer(0, false) },
  {
    name: "max.compaction.lag.ms",
    key: "maxCompactionLagMs",
    type: LONG,
    parse: (text) => (text.trim() === LONG_MAX ? -1 : integer(1, false)(text)),
    show: (value) => (value === -1 ? LONG_MAX : String(value)),
  },
  // Kafka's -2 is "as much as retention.ms/bytes", which is Tributary's -1: no local limit, no tier.
  ...(["local.retention.ms", "local.retention.bytes"] as const).map(
    (name): KafkaConfig => ({
      name,
      key: name === "local.retention.ms" ? "localRetentionMs" : "localRetentionBytes",
      type: LONG,
      parse: (text) => (text.trim() === "-2" ? -1 : integer(1, true)(text)),
      show: (value) => (value === -1 ? "-2" : String(value)),
    }),
  ),
];

const byName = new Map(KAFKA_CONFIGS.map((c) => [c.name, c]));

/** A config's default: Tributary's, with min.insync.replicas capped by the replication factor. */
function defaultOf(key: Key, replicationFactor: number): unknown {
  return key === "minInsyncReplicas"
    ? Math.min(TOPIC_DEFAULTS.minInsyncReplicas, replicationFactor)
    : TOPIC_DEFAULTS[key];
}

/** Tributary's config fields for Kafka configs, or the first that cannot be taken. */
export function fromKafka(
  configs: readonly { name: string; value: string | null }[],
  replicationFactor: number,
): { config: Partial<Record<Key, unknown>> } | { invalid: string } {
  const config: Partial<Record<Key, unknown>> = {};
  for (const { name, value } of configs) {
    const known = byName.get(name);
    if (!known) {
      return {
        invalid: `config '${name}' is not one Tributary has (it has ${KAFKA_CONFIGS.map((c) => c.name).join(", ")})`,
      };
    }
    if (value === null) {
      config[known.key] = defaultOf(known.key, replicationFactor);
      continue;
    }
    const parsed = known.parse(value);
    if (typeof parsed === "object" && parsed !== null && "invalid" in parsed) {
      return { invalid: `config '${name}': ${(parsed as { invalid: string }).invalid}` };
    }
    config[known.key] = parsed;
  }
  return { config };
}

/** A topic's config as DescribeConfigs lists it. */
export function toKafka(config: TopicConfig, replicationFactor: number, keys: readonly string[] | null) {
  return KAFKA_CONFIGS.filter((c) => keys === null || keys.includes(c.name)).map((c) => {
    const value = config[c.key] ?? defaultOf(c.key, replicationFactor);
    const isDefault = value === defaultOf(c.key, replicationFactor);
    return {
      name: c.name,
      value: c.show ? c.show(value) : String(value),
      readOnly: false,
      isDefault,
      // DYNAMIC_TOPIC_CONFIG (1) or DEFAULT_CONFIG (5)
      configSource: isDefault ? 5 : 1,
      isSensitive: false,
      synonyms: [],
      configType: c.type,
      documentation: null,
    };
  });
}

/** The defaults of every config, for AlterConfigs (which replaces a topic's whole config). */
export function defaults(replicationFactor: number): Record<Key, unknown> {
  return Object.fromEntries(KAFKA_CONFIGS.map((c) => [c.key, defaultOf(c.key, replicationFactor)])) as Record<
    Key,
    unknown
  >;
}
