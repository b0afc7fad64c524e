// The worker the tests inside workerd run against: the platform, with the stream apps the tests
// register at run time (they run in this worker's isolate, so the list they push to is the one
// the StreamTasks read).
import type { StreamsApp } from "../../sdk/streams/index.ts";
import { createTributary } from "../../worker/tributary.ts";

export const testApps: StreamsApp[] = [];

const tributary = createTributary({ streamApps: testApps });
export const { Controller, PartitionLog, GroupCoordinator, StreamTask, DurableStream, TokenQuota } = tributary;
export default tributary.worker;
