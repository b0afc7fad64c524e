/**
 * The ad-click aggregator's worker: a Tributary deployment with the aggregator's stream app and
 * its routes (clicks, advertiser queries, dashboard) bundled in. `npm run example:ad-clicks`
 * runs it locally; `wrangler deploy -c examples/ad-click-aggregator/wrangler.toml` deploys it.
 */
import { createTributary } from "tributary/worker";
import { adClickRoutes } from "./routes.ts";
import { adClicksApp } from "./topology.ts";

const tributary = createTributary({ streamApps: [adClicksApp], routes: adClickRoutes });

// Classes (not constants), so that `wrangler types` can name each binding's type.
export class Controller extends tributary.Controller {}
export class PartitionLog extends tributary.PartitionLog {}
export class GroupCoordinator extends tributary.GroupCoordinator {}
export class StreamTask extends tributary.StreamTask {}
export class DurableStream extends tributary.DurableStream {}
export class TokenQuota extends tributary.TokenQuota {}
export default tributary.worker;
