/** Topic configuration: defaults, merging and the checks that need more than one field. */
import { type Failure, failure } from "../../sdk/protocol/errors.ts";
import { TOPIC_DEFAULTS, type TopicConfig, type TopicConfigInput } from "../../sdk/protocol/schemas.ts";

export function resolveConfig(
  base: TopicConfig,
  input: TopicConfigInput | undefined,
  replicationFactor: number,
): TopicConfig | Failure {
  const config: TopicConfig = { ...base };
  for (const [k, v] of Object.entries(input ?? {})) {
    if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
  }
  if (config.minInsyncReplicas > replicationFactor) {
    return failure(
      "INVALID_CONFIG",
      `config.minInsyncReplicas (${config.minInsyncReplicas}) cannot be above the replicationFactor (${replicationFactor})`,
      { field: "config.minInsyncReplicas" },
    );
  }
  return config;
}

/** The defaults of a new topic; minInsyncReplicas is capped by the replication factor. */
export function defaultConfig(replicationFactor: number): TopicConfig {
  return { ...TOPIC_DEFAULTS, minInsyncReplicas: Math.min(TOPIC_DEFAULTS.minInsyncReplicas, replicationFactor) };
}
