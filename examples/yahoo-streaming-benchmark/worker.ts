/**
 * The Yahoo Streaming Benchmark on Tributary as a worker of its own: the platform with the YSB
 * stream app bundled in. `npm run example:ysb` runs it locally (port 8789);
 * `wrangler deploy -c examples/yahoo-streaming-benchmark/wrangler.toml` deploys it.
 */
import { createTributary } from "tributary/worker";
import { ysbApp } from "./topology.ts";

const tributary = createTributary({ streamApps: [ysbApp] });

// Classes (not constants), so that `wrangler types` can name each binding's type.
export class Controller extends tributary.Controller {}
export class PartitionLog extends tributary.PartitionLog {}
export class GroupCoordinator extends tributary.GroupCoordinator {}
export class StreamTask extends tributary.StreamTask {}
export class DurableStream extends tributary.DurableStream {}
export class TokenQuota extends tributary.TokenQuota {}
export default tributary.worker;
