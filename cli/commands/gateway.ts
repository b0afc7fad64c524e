/**
 * `tributary gateway`: runs the Kafka wire-protocol gateway (gateway/server.ts) in this
 * process, until it is stopped (Ctrl-C, SIGTERM).
 */
import { Command, InvalidArgumentError } from "commander";

// The gateway (and what it imports) loads only when it runs: every other command starts faster.

function bytes(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1024)
    throw new InvalidArgumentError("must be a whole number of bytes, at least 1024");
  return n;
}

export function gatewayCommand(): Command {
  return new Command("gateway")
    .description("serve Kafka's protocol to Kafka clients, in front of a Tributary worker")
    .option("--listen <host:port>", "where to listen for Kafka clients", "127.0.0.1:9092")
    .option("--url <url>", "the Tributary worker (default $TRIBUTARY_URL or http://127.0.0.1:8787)")
    .option(
      "--token <token>",
      "the token of clients that do not authenticate with SASL/PLAIN (default $TRIBUTARY_TOKEN)",
    )
    .option("--advertise <host:port>", "the address clients are told to connect to (default: --listen)")
    .option("--tls-cert <file>", "serve TLS with this certificate (PEM)")
    .option("--tls-key <file>", "the certificate's private key (PEM)")
    .option(
      "--auto-create-topics",
      "create a topic a client asks for that does not exist (Kafka's auto.create.topics.enable)",
    )
    .option("--max-request-bytes <n>", "the largest request a client may send", bytes)
    .action(async (opts) => {
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new Error("--tls-cert and --tls-key go together");
      const { startGateway } = await import("../../gateway/server.ts");
      const gateway = await startGateway({
        listen: opts.listen,
        url: opts.url ?? process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8787",
        token: opts.token ?? process.env.TRIBUTARY_TOKEN,
        advertise: opts.advertise,
        tls: opts.tlsCert ? { cert: opts.tlsCert, key: opts.tlsKey } : undefined,
        autoCreateTopics: Boolean(opts.autoCreateTopics),
        maxRequestBytes: opts.maxRequestBytes,
      });
      console.error(
        `tributary gateway: listening on ${gateway.host}:${gateway.port} (Kafka protocol${opts.tlsCert ? ", TLS" : ""})`,
      );
      const stop = () => void gateway.close().then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
