// The targets that `npm run bench` checks (verdicts.mjs prints a line for each); the
// ad-click targets are in ad-clicks.mjs, beside their scenario.

/** The target: 1000 × 100 B records per request into one partition. */
export const PRODUCE_TARGET = { recordBytes: 100, batchSize: 1000, minRate: 100_000, minRatio: 0.5 };
/** The targets for consumers: push latency at 1,000 records/s, a group's throughput. */
export const LATENCY_TARGET = { recordsPerSecond: 1_000, maxP50Ms: 10 };
export const GROUP_TARGET = { consumers: 4, partitions: 4, minRate: 200_000 };
