/**
 * The objects' worker of the split bench (`npm run bench -- --split`): every Durable Object
 * class of the platform, with the ad-click example's stream app bundled in (its StreamTask runs
 * the app), in a `wrangler dev` process of its own. The front worker (front.ts) binds these
 * classes by `script_name`, so the HTTP handling and the objects run in two workerd processes,
 * as in production, where a request's worker and the objects it calls never share a thread.
 * Runs only under bench/split/objects.wrangler.toml, never deployed.
 */
import { adClicksApp } from "../../examples/ad-click-aggregator/topology.ts";
import { createTributary } from "../../worker/tributary.ts";

const tributary = createTributary({ streamApps: [adClicksApp] });

export class Controller extends tributary.Controller {}
export class PartitionLog extends tributary.PartitionLog {}
export class GroupCoordinator extends tributary.GroupCoordinator {}
export class StreamTask extends tributary.StreamTask {}
export class DurableStream extends tributary.DurableStream {}
export class TokenQuota extends tributary.TokenQuota {}
// Its own HTTP entry answers too (/healthz is how the bench sees that it is up); the bench's
// load goes to the front worker.
export default tributary.worker;
