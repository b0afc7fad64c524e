// A raw Kafka protocol connection for tests: requests encoded by the gateway's own codec from
// Kafka's message definitions, or arbitrary bytes (the bad inputs a broker must survive).
import net from "node:net";
import { Reader } from "@platformatic/kafka";
import { decode, encode, type Struct } from "../../gateway/protocol/codec.ts";
import { FrameSplitter } from "../../gateway/protocol/frames.ts";
import { inRange, loadDefinitions } from "../../gateway/protocol/schema.ts";

const defs = loadDefinitions();

export interface WireConnection {
  /** Sends a request and answers the decoded response. */
  request(apiKey: number, version: number, body: Struct): Promise<Struct>;
  /** Sends bytes as they are. */
  raw(bytes: Buffer): void;
  /** Calls `listener` with the next bytes received, as they are (a frame with no header). */
  onRaw(listener: (bytes: Buffer) => void): void;
  /** Resolves with the next response frame for a correlation id (after the size prefix). */
  frame(correlationId: number): Promise<Buffer>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  close(): void;
}

export async function connectWire(broker: string): Promise<WireConnection> {
  const [host, port] = broker.split(":") as [string, string];
  const socket = net.connect(Number(port), host);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const splitter = new FrameSplitter(64 * 1024 * 1024);
  const waiting = new Map<number, (frame: Buffer) => void>();
  let rawListener: ((bytes: Buffer) => void) | undefined;
  socket.on("data", (chunk) => {
    if (rawListener) {
      const listener = rawListener;
      rawListener = undefined;
      return listener(chunk);
    }
    for (const frame of splitter.push(chunk)) waiting.get(frame.readInt32BE(0))?.(frame);
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {});
  let correlation = 0;
  return {
    request(apiKey, version, body) {
      const api = defs.apis.get(apiKey)!;
      const id = ++correlation;
      const flexible = inRange(api.request.flexibleVersions, version);
      const w = encode(defs.requestHeader, flexible ? 2 : 1, {
        requestApiKey: apiKey,
        requestApiVersion: version,
        correlationId: id,
        clientId: "wire-test",
      });
      encode(api.request, version, body, w);
      socket.write(w.prependLength().buffer);
      return new Promise((resolve, reject) => {
        closed.then(() => reject(new Error("the server closed the connection")));
        waiting.set(id, (frame) => {
          const reader = Reader.from(frame);
          const responseFlexible = apiKey !== 18 && inRange(api.response.flexibleVersions, version);
          decode(defs.responseHeader, responseFlexible ? 1 : 0, reader);
          resolve(decode(api.response, version, reader));
        });
      });
    },
    raw(bytes) {
      socket.write(bytes);
    },
    onRaw(listener) {
      rawListener = listener;
    },
    frame(correlationId) {
      return new Promise((resolve, reject) => {
        closed.then(() => reject(new Error("the server closed the connection")));
        waiting.set(correlationId, resolve);
      });
    },
    closed,
    close() {
      socket.destroy();
    },
  };
}
