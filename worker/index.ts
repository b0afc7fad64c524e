/** The platform alone, as the root wrangler.toml deploys it: no stream apps, no app routes. */
import { createTributary } from "./tributary.ts";

const tributary = createTributary();

// Classes (not constants), so that `wrangler types` can name each binding's type.
export class Controller extends tributary.Controller {}
export class PartitionLog extends tributary.PartitionLog {}
export class GroupCoordinator extends tributary.GroupCoordinator {}
export class StreamTask extends tributary.StreamTask {}
export class DurableStream extends tributary.DurableStream {}
export class TokenQuota extends tributary.TokenQuota {}
export default tributary.worker;
