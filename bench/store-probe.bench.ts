// `npm run bench:store`: what single statements of the stream tasks and partition logs cost,
// timed inside a Durable Object (runInDurableObject; the object's clock advances during
// synchronous work in local workerd). Each line is µs per row or record, the median of ROUNDS
// runs; the alternatives are the designs the code chose against, measured beside it. Prints only:
// no assertion depends on a time.
import { env, runInDurableObject } from "cloudflare:test";
import { it } from "vitest";
import { encodeRecords } from "../cluster/stored-records.ts";
import { PartitionStore } from "../durable-objects/partition-log/store.ts";
import { TaskStore } from "../durable-objects/stream-task/store.ts";

const ROUNDS = 3;
const BATCH = 2_000;
/** Dedupe ids per run: 150 batches of 2,000. */
const IDS = 300_000;
const T0 = 1_795_696_051_321;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines: string[] = [];
function report(label: string, usPerRow: number[]) {
  lines.push(
    `${label.padEnd(72)} ${median(usPerRow).toFixed(2).padStart(6)} µs (${usPerRow.map((u) => u.toFixed(2)).join(", ")})`,
  );
}

/**
 * In a fresh object of `ns`: `setup` prepares (untimed) and returns the work, which is timed.
 * µs per row over `rows` rows.
 */
async function timed(
  ns: "STREAM_TASK" | "PARTITION_LOG",
  rows: number,
  setup: (state: DurableObjectState) => () => void,
): Promise<number> {
  const stub: DurableObjectStub =
    ns === "STREAM_TASK"
      ? env.STREAM_TASK.get(env.STREAM_TASK.newUniqueId())
      : env.PARTITION_LOG.get(env.PARTITION_LOG.newUniqueId());
  return runInDurableObject(stub, (_o: unknown, state: DurableObjectState) => {
    const run = setup(state);
    const start = performance.now();
    run();
    return ((performance.now() - start) * 1000) / rows;
  });
}

/** Dedupe ids as a task sees them: nearly in order, or random; times jittered by ±1.5 s. */
function idBatch(k: number, random: boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < BATCH; i++) {
    const n = k * BATCH + i;
    const id = random
      ? crypto.getRandomValues(new Uint8Array(12)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "")
      : `t${n.toString(36).padStart(9, "0")}`;
    out.set(id, T0 + n * 5 + ((n * 7919) % 3000) - 1500);
  }
  return out;
}

function clickRecords(k: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    timestamp: T0 + k * n + i,
    key: `ad-${i % 200}#${i % 4}`,
    value: { ad: `ad-${i % 200}`, imp: `t${(k * n + i).toString(36).padStart(9, "0")}` },
  }));
}

it("store statements", async () => {
  const batches = IDS / BATCH;
  for (const [label, random, index] of [
    ["dedupe ids written (TaskStore.putSeenIds), in order, no time index", false, false],
    ["  the same with an index by time (the design before)", false, true],
    ["  random ids, no time index", true, false],
  ] as const) {
    const us: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const all = Array.from({ length: batches }, (_, k) => idBatch(k, random));
      us.push(
        await timed("STREAM_TASK", IDS, (state) => {
          if (index) state.storage.sql.exec("CREATE INDEX seen_ids_by_time ON seen_ids (store, seen)");
          const store = new TaskStore(state.storage.sql);
          return () => {
            for (const ids of all) state.storage.transactionSync(() => store.putSeenIds("seen", ids));
          };
        }),
      );
    }
    report(`${label}, ${IDS.toLocaleString("en-US")} ids`, us);
  }

  for (const [label, asObject] of [
    ["dedupe ids bound as [id, time] pairs (putSeenIds), serialized and inserted", false],
    ["  bound as one object of id: time members", true],
  ] as const) {
    const us: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const all = Array.from({ length: 20 }, (_, k) => idBatch(k, false));
      us.push(
        await timed("STREAM_TASK", 20 * BATCH, (state) => () => {
          for (const ids of all) {
            state.storage.sql.exec(
              asObject
                ? "INSERT INTO seen_ids (store, id, seen) SELECT 'seen', key, value FROM json_each(?)"
                : "INSERT INTO seen_ids (store, id, seen) SELECT 'seen', value ->> 0, value ->> 1 FROM json_each(?)",
              asObject ? JSON.stringify(Object.fromEntries(ids)) : JSON.stringify([...ids]),
            );
          }
        }),
      );
    }
    report(label, us);
  }

  // The log: 100 appends of 2,000 click records that bring their own timestamps.
  const appends = Array.from({ length: 100 }, (_, k) => {
    const encoded = encodeRecords(clickRecords(k, BATCH), 1_000_000);
    if ("ok" in encoded) throw new Error(encoded.message);
    return encoded;
  });
  for (const [label, extract] of [
    ["log append (PartitionStore.append), records with their own timestamps", false],
    ["  the same, copying each record's timestamp into `ts` (the design before)", true],
  ] as const) {
    const us: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      us.push(
        await timed("PARTITION_LOG", 100 * BATCH, (state) => {
          const store = new PartitionStore(state.storage.sql);
          return () => {
            for (const [k, a] of appends.entries()) {
              state.storage.transactionSync(() => {
                if (!extract) store.append(a.chunks, BATCH, k * BATCH, T0, T0, a.bytes);
                else {
                  state.storage.sql.exec(
                    `INSERT INTO records (offset, ts, data) SELECT ?1 + j.key, coalesce(j.value ->> '$.timestamp', ?2), j.value FROM json_each(?3) AS j`,
                    k * BATCH,
                    T0,
                    a.chunks[0]!,
                  );
                }
              });
            }
          };
        }),
      );
    }
    report(label, us);
  }

  // Reads of 8,000 records, parsed, over a log of 100,000.
  for (const [label, how, parse] of [
    ["task read: PartitionStore.readStored + JSON.parse, 8,000 records", "stored", true],
    ["  fetched form: PartitionStore.read + JSON.parse", "fetched", true],
    ["  readStored alone", "stored", false],
    ["  read alone", "fetched", false],
    ["  group_concat(data, ',' ORDER BY offset) alone", "ordered", false],
  ] as const) {
    const us: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      us.push(
        await timed("PARTITION_LOG", 96_000, (state) => {
          const store = new PartitionStore(state.storage.sql);
          for (let k = 0; k < 50; k++) {
            state.storage.transactionSync(() =>
              store.append(appends[k]!.chunks, BATCH, k * BATCH, T0, T0, appends[k]!.bytes),
            );
          }
          return () => {
            for (let o = 0; o < 96_000; o += 8_000) {
              const json =
                how === "stored"
                  ? store.readStored(o, 8_000, 1 << 30, 96_000).json
                  : how === "fetched"
                    ? store.read(0, o, 8_000, 1 << 30, 96_000).json
                    : `[${
                        state.storage.sql
                          .exec<{ j: string }>(
                            `SELECT group_concat(data, ',' ORDER BY offset) AS j FROM records WHERE offset >= ? AND offset < ?`,
                            o,
                            o + 8_000,
                          )
                          .one().j
                      }]`;
              if (parse) JSON.parse(json);
            }
          };
        }),
      );
    }
    report(label, us);
  }
  console.log(`\nStore statements inside a Durable Object (µs per row, median of ${ROUNDS}):\n${lines.join("\n")}`);
});
