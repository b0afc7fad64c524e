/**
 * Where a partition's records come from: pushed over a WebSocket (one per partition) when the
 * runtime has one or one is given, fetched with long polls otherwise (push.ts has both).
 */
import {
  fetchSource,
  globalWebSocket,
  type PartitionSource,
  PushSource,
  runtimeSendsHeaders,
  type WebSocketConstructor,
} from "../push.ts";
import type { ConsumerConfig } from "./options.ts";
import type { ConsumerConnection } from "./types.ts";

/** Opens the record sources of one consumer's partitions. */
export class PartitionSources {
  readonly #connection: ConsumerConnection;
  readonly #maxRecords: number;
  readonly #waitMs: number;
  readonly #webSocket: WebSocketConstructor | undefined;
  readonly #push: { headers: boolean } = { headers: true };

  constructor(
    connection: ConsumerConnection,
    config: Pick<ConsumerConfig, "push" | "webSocket" | "maxRecords" | "maxWaitMs">,
  ) {
    this.#connection = connection;
    this.#maxRecords = config.maxRecords;
    this.#waitMs = config.maxWaitMs;
    this.#webSocket = config.push === "off" ? undefined : (config.webSocket ?? globalWebSocket());
    this.#push.headers = config.webSocket !== undefined || runtimeSendsHeaders();
  }

  /** A source of the partition's records from `offset` on. */
  open(topic: string, partition: number, offset: number): PartitionSource {
    const options = { topic, partition, offset, maxRecords: this.#maxRecords, waitMs: this.#waitMs };
    if (this.#webSocket === undefined) return fetchSource(this.#connection.transport, options);
    const { baseUrl, token } = this.#connection;
    const connection = { baseUrl, token, webSocket: this.#webSocket, headers: this.#push.headers };
    const source = new PushSource(connection, this.#connection.transport, options);
    return {
      next: (signal) => source.next(signal),
      close: () => {
        // A constructor that refused headers once is not asked again.
        this.#push.headers = connection.headers;
        source.close();
      },
    };
  }
}
