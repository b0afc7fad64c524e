/** The worker entry: the Hono app, and the Durable Object classes wrangler binds. */
import { app } from "./app.ts";

export { Controller } from "../durable-objects/controller/controller.ts";
export { DurableStream } from "../durable-objects/durable-stream/durable-stream.ts";
export { GroupCoordinator } from "../durable-objects/group-coordinator/group-coordinator.ts";
export { PartitionLog } from "../durable-objects/partition-log/partition-log.ts";
export { StreamTask } from "../durable-objects/stream-task/stream-task.ts";

export default app satisfies ExportedHandler<Env>;
