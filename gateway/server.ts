/**
 * The Kafka gateway: a TCP (or TLS) listener that speaks Kafka's protocol to clients and
 * Tributary's HTTP API to the worker. It keeps no state of its own (groups, offsets and
 * producer ids live in Tributary), so any number can run side by side behind one address.
 *
 * @example
 * const gateway = await startGateway({ listen: "127.0.0.1:9092", url: "http://127.0.0.1:8787", token: "dev-token" });
 * // kcat -b 127.0.0.1:9092 -L
 * await gateway.close();
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { Connection, type GatewayCore } from "./connection.ts";
import { loadDefinitions } from "./protocol/schema.ts";

export interface GatewayOptions {
  /** `host:port` to listen on, e.g. `127.0.0.1:9092` (port 0 picks a free one). */
  listen: string;
  /** The Tributary worker's URL. */
  url: string;
  /** The token of clients that do not authenticate with SASL/PLAIN; without it they are refused. */
  token?: string;
  /** `host:port` clients are told to connect to (default: the listening address). */
  advertise?: string;
  tls?: { cert: string; key: string };
  /** Largest request frame, in bytes (Kafka's socket.request.max.bytes). Default 64 MiB. */
  maxRequestBytes?: number;
  /** Largest size a record batch may decompress to. Default 32 MiB. */
  maxBatchBytes?: number;
  /** Create topics that clients ask for in Metadata (Kafka's auto.create.topics.enable). Default off. */
  autoCreateTopics?: boolean;
  /** How long to wait for Tributary beyond a long poll's own wait. Default 30 s. */
  requestTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface Gateway {
  /** Where it listens. */
  host: string;
  port: number;
  close(): Promise<void>;
}

function hostPort(text: string, what: string): { host: string; port: number } {
  const at = text.lastIndexOf(":");
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${what} must be host:port (e.g. 127.0.0.1:9092), not '${text}'`);
  }
  return { host, port };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const listen = hostPort(options.listen, "--listen");
  new URL(options.url); // fails fast on a URL that is not one
  const log = options.log ?? ((m: string) => console.error(`tributary gateway: ${m}`));
  const core: GatewayCore = {
    defs: loadDefinitions(),
    url: options.url,
    token: options.token,
    // Filled in once the port is known (listen may pick one).
    advertised: { nodeId: 0, clusterId: "tributary", host: listen.host, port: listen.port },
    limits: {
      maxBatchBytes: options.maxBatchBytes ?? 32 * 1024 * 1024,
      autoCreateTopics: options.autoCreateTopics ?? false,
    },
    maxRequestBytes: options.maxRequestBytes ?? 64 * 1024 * 1024,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    log,
  };
  const connections = new Set<Connection>();
  const onSocket = (socket: net.Socket) => {
    const c = new Connection(socket, core);
    connections.add(c);
    socket.on("close", () => connections.delete(c));
  };
  const server = options.tls
    ? tls.createServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) }, onSocket)
    : net.createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  Object.assign(
    core.advertised,
    options.advertise
      ? hostPort(options.advertise, "--advertise")
      : { host: listen.host === "0.0.0.0" || listen.host === "::" ? "127.0.0.1" : listen.host, port: address.port },
  );
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.close();
        server.close(() => resolve());
      }),
  };
}
