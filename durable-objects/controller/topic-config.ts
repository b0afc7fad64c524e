/** Topic configuration: defaults, merging and the checks that need more than one field. */
import { type Failure, failure } from "../../sdk/protocol/errors.ts";
import { TOPIC_DEFAULTS, type TopicConfig, type TopicConfigInput } from "../../sdk/protocol/schemas.ts";

/**
 * The config after `input` is applied to `base`, or the first field that does not fit with the
 * others. `tieredStorage` says whether the deployment has the R2 bucket local limits need.
 */
export function resolveConfig(
  base: TopicConfig,
  input: TopicConfigInput | undefined,
  replicationFactor: number,
  tieredStorage = true,
): TopicConfig | Failure {
  const config: TopicConfig = { ...base };
  for (const [k, v] of Object.entries(TIERING_DEFAULTS)) {
    (config as unknown as Record<string, unknown>)[k] ??= v;
  }
  for (const [k, v] of Object.entries(input ?? {})) {
    if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
  }
  const invalid = (field: keyof TopicConfig, message: string) =>
    failure("INVALID_CONFIG", `config.${field} ${message}`, { field: `config.${field}` });
  if (config.minInsyncReplicas > replicationFactor) {
    return invalid(
      "minInsyncReplicas",
      `(${config.minInsyncReplicas}) cannot be above the replicationFactor (${replicationFactor})`,
    );
  }
  // As Kafka's local.retention.*: the local part of the log cannot be kept longer than all of it.
  for (const [local, total] of [
    ["localRetentionMs", "retentionMs"],
    ["localRetentionBytes", "retentionBytes"],
  ] as const) {
    const l = config[local]!;
    const t = config[total];
    if (l !== -1 && t !== -1 && l > t) return invalid(local, `(${l}) cannot be above config.${total} (${t})`);
  }
  if (!tieredStorage && (config.localRetentionMs !== -1 || config.localRetentionBytes !== -1)) {
    return invalid(
      config.localRetentionMs !== -1 ? "localRetentionMs" : "localRetentionBytes",
      "needs tiered storage: this deployment has no LOG_SEGMENTS R2 bucket binding (add it to wrangler.toml)",
    );
  }
  const { minCompactionLagMs: min, maxCompactionLagMs: max } = config;
  if (max !== -1 && max! < min!)
    return invalid("maxCompactionLagMs", `(${max}) cannot be below config.minCompactionLagMs (${min})`);
  return config;
}

/** Fields topics created before compaction and tiered storage lack: their defaults. */
const TIERING_DEFAULTS = {
  deleteRetentionMs: TOPIC_DEFAULTS.deleteRetentionMs,
  minCompactionLagMs: TOPIC_DEFAULTS.minCompactionLagMs,
  maxCompactionLagMs: TOPIC_DEFAULTS.maxCompactionLagMs,
  localRetentionMs: TOPIC_DEFAULTS.localRetentionMs,
  localRetentionBytes: TOPIC_DEFAULTS.localRetentionBytes,
} satisfies Partial<TopicConfig>;

/** The defaults of a new topic; minInsyncReplicas is capped by the replication factor. */
export function defaultConfig(replicationFactor: number): TopicConfig {
  return { ...TOPIC_DEFAULTS, minInsyncReplicas: Math.min(TOPIC_DEFAULTS.minInsyncReplicas, replicationFactor) };
}
