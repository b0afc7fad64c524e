/**
 * The billable-unit meter (benchmarks and tests only: `npm run cost`, docs/cost.md). When the
 * TRIBUTARY_METER variable is "1", every Durable Object counts what Cloudflare bills it for:
 * each request it receives (an RPC method call, a fetch, an alarm; an incoming WebSocket
 * message as 1/20 of one, Cloudflare's ratio), the wall time while at least one of them is in
 * flight (its active duration), the rows its SQL statements read and wrote (each cursor's
 * rowsRead / rowsWritten), and its database size. The worker counts its own requests. The
 * counters are plain numbers in module scope: `wrangler dev` runs the worker and every object
 * in one isolate, so `GET /v1/_test/meter` (worker/routes/meter.ts) reads them all at once.
 * Off (the default, and always in production config), nothing is wrapped or counted.
 */

/** Cloudflare bills 20 incoming WebSocket messages as one Durable Object request. */
export const WEBSOCKET_MESSAGES_PER_REQUEST = 20;

/** What one object (or the sum of a class's objects) used. */
export interface ObjectUsage {
  /** Requests as billed: RPC calls, fetches and alarms, plus WebSocket messages / 20. */
  requests: number;
  /** Of which: RPC method calls, fetches, alarms, incoming WebSocket messages (unscaled). */
  rpc: number;
  fetch: number;
  alarm: number;
  webSocketMessages: number;
  /** Wall time with at least one request in flight, in milliseconds. */
  activeMs: number;
  rowsRead: number;
  rowsWritten: number;
  /** The object's SQLite database size when last seen (`ctx.storage.sql.databaseSize`). */
  storedBytes: number;
}

export interface MeterReading {
  /** Requests the worker received (its fetch handler). */
  workerRequests: number;
  /** Per Durable Object class. */
  classes: Record<string, ObjectUsage & { objects: number }>;
  /** Every class together. */
  total: ObjectUsage & { objects: number };
}

interface ObjectMeter extends ObjectUsage {
  className: string;
  inFlight: number;
  since: number;
  sql: SqlStorage;
}

const objects = new Map<string, ObjectMeter>();
const pendingCursors: { meter: ObjectMeter; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }[] = [];
let drainScheduled = false;
let workerRequests = 0;

/** Whether the meter is on (the TRIBUTARY_METER variable is "1": `npm run cost` and its tests set it). */
export function meterEnabled(env: { TRIBUTARY_METER?: string }): boolean {
  return env.TRIBUTARY_METER === "1";
}

/** Counts one request to the worker. */
export function meterWorkerRequest(): void {
  workerRequests++;
}

const EVENT_HANDLERS = new Set(["fetch", "alarm", "webSocketMessage", "webSocketClose", "webSocketError"]);

/**
 * Meters the Durable Object `instance` of class `className`: wraps the object's `sql.exec` and
 * returns a proxy that counts each method the runtime calls on it. Call it first in the
 * constructor (`const metered = meterObject(this, ctx, env, "X")`, so that the constructor's
 * own SQL is counted) and end the constructor with `return metered`. Methods run on the object
 * itself, so its calls to its own methods are not counted. With the meter off it returns
 * `instance` unchanged.
 */
export function meterObject<T extends object>(
  instance: T,
  ctx: DurableObjectState,
  env: unknown,
  className: string,
): T {
  if (!meterEnabled(env as { TRIBUTARY_METER?: string })) return instance;
  const meter: ObjectMeter = {
    className,
    inFlight: 0,
    since: 0,
    sql: ctx.storage.sql,
    ...emptyUsage(),
  };
  objects.set(ctx.id.toString(), meter);
  meterSql(ctx.storage.sql, meter);
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(instance, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || typeof key === "symbol" || key === "constructor") return value;
      let w = wrapped.get(key);
      if (!w) {
        const kind: "rpc" | "fetch" | "alarm" | "webSocket" | "event" =
          key === "fetch" || key === "alarm"
            ? key
            : key === "webSocketMessage"
              ? "webSocket"
              : EVENT_HANDLERS.has(key)
                ? "event"
                : "rpc";
        w = function (this: unknown, ...args: unknown[]) {
          return track(meter, kind, () => (value as (...a: unknown[]) => unknown).apply(target, args));
        };
        wrapped.set(key, w);
      }
      return w;
    },
  });
}

function track(meter: ObjectMeter, kind: "rpc" | "fetch" | "alarm" | "webSocket" | "event", call: () => unknown) {
  if (kind === "webSocket") {
    meter.webSocketMessages++;
    meter.requests += 1 / WEBSOCKET_MESSAGES_PER_REQUEST;
  } else if (kind !== "event") {
    meter[kind]++;
    meter.requests++;
  }
  if (meter.inFlight++ === 0) meter.since = performance.now();
  const done = () => {
    if (--meter.inFlight === 0) {
      meter.activeMs += performance.now() - meter.since;
      meter.storedBytes = meter.sql.databaseSize;
    }
  };
  let result: unknown;
  try {
    result = call();
  } catch (err) {
    done();
    throw err;
  }
  if (result instanceof Promise) return result.finally(done);
  done();
  return result;
}

/**
 * Wraps `sql.exec` so each cursor's rows read and written are added once the synchronous code
 * that made it has run (a microtask later): the stores consume their cursors at once. A cursor
 * read across an await would be counted as far as it was read by then.
 */
function meterSql(sql: SqlStorage, meter: ObjectMeter) {
  const exec = sql.exec.bind(sql);
  // An own property shadows the prototype's method for every store of this object.
  Object.defineProperty(sql, "exec", {
    configurable: true,
    value: (query: string, ...bindings: unknown[]) => {
      const cursor = exec(query, ...bindings);
      pendingCursors.push({ meter, cursor });
      if (!drainScheduled) {
        drainScheduled = true;
        queueMicrotask(drainCursors);
      }
      return cursor;
    },
  });
}

function drainCursors() {
  drainScheduled = false;
  for (const { meter, cursor } of pendingCursors.splice(0)) {
    meter.rowsRead += cursor.rowsRead;
    meter.rowsWritten += cursor.rowsWritten;
  }
}

function emptyUsage(): ObjectUsage {
  return {
    requests: 0,
    rpc: 0,
    fetch: 0,
    alarm: 0,
    webSocketMessages: 0,
    activeMs: 0,
    rowsRead: 0,
    rowsWritten: 0,
    storedBytes: 0,
  };
}

const USAGE_KEYS = Object.keys(emptyUsage()) as (keyof ObjectUsage)[];

/**
 * Every object's counters summed per class and in total; with `reset`, the counters start again
 * from zero (the stored bytes stay: they are a level, not a count). Time in flight up to now is
 * counted, and goes on from now.
 */
export function readMeter(reset: boolean): MeterReading {
  drainCursors();
  const now = performance.now();
  const classes: MeterReading["classes"] = {};
  const total = { ...emptyUsage(), objects: 0 };
  for (const meter of objects.values()) {
    if (meter.inFlight > 0) {
      meter.activeMs += now - meter.since;
      meter.since = now;
    }
    const c = classes[meter.className] ?? { ...emptyUsage(), objects: 0 };
    classes[meter.className] = c;
    c.objects++;
    total.objects++;
    for (const k of USAGE_KEYS) {
      c[k] += meter[k];
      total[k] += meter[k];
      if (reset && k !== "storedBytes") meter[k] = 0;
    }
  }
  const reading = { workerRequests, classes, total };
  if (reset) workerRequests = 0;
  return reading;
}

/** One object's counters since the last reset (tests: other tests' objects share the isolate), or undefined if it was not metered. */
export function meterOf(id: DurableObjectId): ObjectUsage | undefined {
  drainCursors();
  const meter = objects.get(id.toString());
  if (!meter) return undefined;
  const usage = emptyUsage();
  for (const k of USAGE_KEYS) usage[k] = meter[k];
  if (meter.inFlight > 0) usage.activeMs += performance.now() - meter.since;
  return usage;
}
