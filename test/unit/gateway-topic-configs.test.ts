/**
 * Kafka's topic configs and Tributary's (gateway/topic-configs.ts): the text values Kafka clients
 * send in CreateTopics and AlterConfigs, parsed into Tributary's fields or refused with a
 * reason, and a topic's config as DescribeConfigs lists it, checked through the gateway's codec
 * and kafkajs's DescribeConfigs v1 decoder.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { encode } from "../../gateway/protocol/codec.ts";
import { loadDefinitions } from "../../gateway/protocol/schema.ts";
import { defaults, fromKafka, KAFKA_CONFIGS, toKafka } from "../../gateway/topic-configs.ts";
import { TOPIC_DEFAULTS, type TopicConfig } from "../../sdk/protocol/schemas.ts";

const require = createRequire(import.meta.url);
const kafkajsDescribeConfigsV1 = require("kafkajs/src/protocol/requests/describeConfigs/v1/response");

const topicDefaults: TopicConfig = {
  retentionMs: TOPIC_DEFAULTS.retentionMs,
  retentionBytes: TOPIC_DEFAULTS.retentionBytes,
  maxMessageBytes: TOPIC_DEFAULTS.maxMessageBytes,
  minInsyncReplicas: TOPIC_DEFAULTS.minInsyncReplicas,
  cleanupPolicy: TOPIC_DEFAULTS.cleanupPolicy,
};

describe("fromKafka", () => {
  it("parses whole numbers, -1 (no limit) where Kafka allows it, and cleanup.policy=delete", () => {
    expect(
      fromKafka(
        [
          { name: "retention.ms", value: "3600000" },
          { name: "retention.bytes", value: "-1" },
          { name: "max.message.bytes", value: " 2048 " },
          { name: "min.insync.replicas", value: "1" },
          { name: "cleanup.policy", value: "delete" },
        ],
        3,
      ),
    ).toEqual({
      config: {
        retentionMs: 3_600_000,
        retentionBytes: -1,
        maxMessageBytes: 2048,
        minInsyncReplicas: 1,
        cleanupPolicy: "delete",
      },
    });
  });

  it.each([
    ["retention.ms", "0", "config 'retention.ms': 0 is below 1 (or -1 for no limit)"],
    ["retention.ms", "-2", "config 'retention.ms': -2 is below 1 (or -1 for no limit)"],
    ["max.message.bytes", "-1", "config 'max.message.bytes': -1 is below 1"],
    ["retention.ms", "1e3", "config 'retention.ms': '1e3' is not a whole number"],
    ["retention.ms", "1.5", "config 'retention.ms': '1.5' is not a whole number"],
    ["retention.ms", "", "config 'retention.ms': '' is not a whole number"],
    ["retention.bytes", "9007199254740993", "config 'retention.bytes': '9007199254740993' is not a whole number"],
    [
      "cleanup.policy",
      "compact,lz4",
      "config 'cleanup.policy': cleanup.policy 'compact,lz4' is not supported (it takes delete, compact, or both)",
    ],
    ["cleanup.policy", "", expect.stringContaining("(it takes delete, compact, or both)")],
    ["delete.retention.ms", "-1", "config 'delete.retention.ms': -1 is below 0"],
    ["max.compaction.lag.ms", "0", "config 'max.compaction.lag.ms': 0 is below 1"],
    ["local.retention.bytes", "0", "config 'local.retention.bytes': 0 is below 1 (or -1 for no limit)"],
  ])("refuses %s=%j", (name, value, invalid) => {
    expect(fromKafka([{ name, value }], 3)).toEqual({ invalid });
  });

  it("takes compaction and tiered storage configs, with Kafka's sentinels for no limit", () => {
    expect(
      fromKafka(
        [
          { name: "cleanup.policy", value: "delete, compact" },
          { name: "delete.retention.ms", value: "0" },
          { name: "min.compaction.lag.ms", value: "60000" },
          { name: "max.compaction.lag.ms", value: "9223372036854775807" },
          { name: "local.retention.ms", value: "-2" },
          { name: "local.retention.bytes", value: "1048576" },
        ],
        3,
      ),
    ).toEqual({
      config: {
        cleanupPolicy: "compact,delete",
        deleteRetentionMs: 0,
        minCompactionLagMs: 60_000,
        maxCompactionLagMs: -1,
        localRetentionMs: -1,
        localRetentionBytes: 1_048_576,
      },
    });
  });

  it("refuses a config Tributary does not have, naming the ones it has", () => {
    expect(fromKafka([{ name: "segment.bytes", value: "1" }], 3)).toEqual({
      invalid:
        "config 'segment.bytes' is not one Tributary has (it has retention.ms, retention.bytes, max.message.bytes, min.insync.replicas, cleanup.policy, delete.retention.ms, min.compaction.lag.ms, max.compaction.lag.ms, local.retention.ms, local.retention.bytes)",
    });
  });

  it("answers the first config that cannot be taken, even after good ones", () => {
    expect(
      fromKafka(
        [
          { name: "retention.ms", value: "5" },
          { name: "retention.bytes", value: "x" },
          { name: "min.insync.replicas", value: "0" },
        ],
        3,
      ),
    ).toEqual({ invalid: "config 'retention.bytes': 'x' is not a whole number" });
  });

  it("takes a null value as the default, min.insync.replicas capped by the replication factor", () => {
    const reset = ["retention.ms", "min.insync.replicas", "cleanup.policy"].map((name) => ({ name, value: null }));
    expect(fromKafka(reset, 1)).toEqual({
      config: { retentionMs: TOPIC_DEFAULTS.retentionMs, minInsyncReplicas: 1, cleanupPolicy: "delete" },
    });
    expect(fromKafka(reset, 3)).toEqual({
      config: { retentionMs: TOPIC_DEFAULTS.retentionMs, minInsyncReplicas: 2, cleanupPolicy: "delete" },
    });
  });
});

describe("toKafka", () => {
  it("lists every config, marking which are defaults (DEFAULT_CONFIG) and which set (DYNAMIC_TOPIC_CONFIG)", () => {
    const listed = toKafka({ ...topicDefaults, retentionMs: 60_000 }, 3, null);
    expect(listed.map((c) => [c.name, c.value, c.isDefault, c.configSource, c.configType])).toEqual([
      ["retention.ms", "60000", false, 1, 5],
      ["retention.bytes", String(TOPIC_DEFAULTS.retentionBytes), true, 5, 5],
      ["max.message.bytes", String(TOPIC_DEFAULTS.maxMessageBytes), true, 5, 3],
      ["min.insync.replicas", "2", true, 5, 3],
      ["cleanup.policy", "delete", true, 5, 7],
      ["delete.retention.ms", "86400000", true, 5, 5],
      ["min.compaction.lag.ms", "0", true, 5, 5],
      // Kafka's spellings of "no limit": Long.MAX_VALUE, and -2 for "as retention.*".
      ["max.compaction.lag.ms", "9223372036854775807", true, 5, 5],
      ["local.retention.ms", "-2", true, 5, 5],
      ["local.retention.bytes", "-2", true, 5, 5],
    ]);
  });

  it("takes min.insync.replicas=1 as the default of a topic of one replica", () => {
    const [listed] = toKafka({ ...topicDefaults, minInsyncReplicas: 1 }, 1, ["min.insync.replicas"]);
    expect(listed).toMatchObject({ name: "min.insync.replicas", value: "1", isDefault: true, configSource: 5 });
    const [three] = toKafka({ ...topicDefaults, minInsyncReplicas: 1 }, 3, ["min.insync.replicas"]);
    expect(three).toMatchObject({ isDefault: false, configSource: 1 });
  });

  it("lists only the configs asked for", () => {
    expect(toKafka(topicDefaults, 3, ["cleanup.policy", "retention.ms"]).map((c) => c.name)).toEqual([
      "retention.ms",
      "cleanup.policy",
    ]);
    expect(toKafka(topicDefaults, 3, [])).toEqual([]);
  });

  it("encodes as DescribeConfigs v1 configs that kafkajs decodes", async () => {
    const defs = loadDefinitions();
    const bytes = encode(defs.apis.get(32)!.response, 1, {
      throttleTimeMs: 0,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: "orders",
          configs: toKafka({ ...topicDefaults, retentionBytes: -1 }, 3, ["retention.bytes", "cleanup.policy"]),
        },
      ],
    }).buffer;
    expect(await kafkajsDescribeConfigsV1.decode(bytes)).toEqual({
      throttleTime: 0,
      resources: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: "orders",
          configEntries: [
            {
              configName: "retention.bytes",
              configValue: "-1",
              readOnly: false,
              isDefault: false,
              configSource: 1,
              isSensitive: false,
              configSynonyms: [],
            },
            {
              configName: "cleanup.policy",
              configValue: "delete",
              readOnly: false,
              isDefault: true,
              configSource: 5,
              isSensitive: false,
              configSynonyms: [],
            },
          ],
        },
      ],
    });
  });
});

describe("defaults", () => {
  it("answers every config's default, min.insync.replicas capped by the replication factor", () => {
    expect(defaults(1)).toEqual({
      retentionMs: TOPIC_DEFAULTS.retentionMs,
      retentionBytes: TOPIC_DEFAULTS.retentionBytes,
      maxMessageBytes: TOPIC_DEFAULTS.maxMessageBytes,
      minInsyncReplicas: 1,
      cleanupPolicy: "delete",
      deleteRetentionMs: TOPIC_DEFAULTS.deleteRetentionMs,
      minCompactionLagMs: 0,
      maxCompactionLagMs: -1,
      localRetentionMs: -1,
      localRetentionBytes: -1,
    });
    expect(defaults(5).minInsyncReplicas).toBe(TOPIC_DEFAULTS.minInsyncReplicas);
    expect(Object.keys(defaults(3))).toEqual(KAFKA_CONFIGS.map((c) => c.key));
  });
});
