/**
 * `tributary produce TOPIC`: one record per line of stdin or `--file`, in kcat's words (`-K <sep>`
 * key separator, `-H key=value` headers, `-p` partition), values as text or, with `--json`, the
 * JSON each line parses to. Lines are read as a stream and sent in chunks through the SDK's
 * producer (idempotent, batched per partition), with a bounded number of chunks in flight: reading
 * waits while they are, so memory stays bounded whatever the input's size.
 */
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { Command } from "commander";
import type { Message } from "../../sdk/index.ts";
import { collect, wholeNumber } from "../args.ts";
import { clientOf, withConnection } from "../connection.ts";
import { lineToMessage, parseHeader } from "../produce-lines.ts";
import { createProgress } from "../progress.ts";

/** A chunk is sent once it has this many records or bytes of input. */
const CHUNK_RECORDS = 5_000;
const CHUNK_BYTES = 1_000_000;
/** Chunks sent and not answered yet: beyond this, reading waits. */
const MAX_IN_FLIGHT = 8;

export function produceCommand(): Command {
  return withConnection(new Command("produce"))
    .alias("P")
    .description("produce lines of stdin (or a file) as records")
    .argument("<topic>", "the topic")
    .option("-f, --file <path>", "read this file instead of stdin")
    .option("-K, --key-delimiter <sep>", "split each line at the first <sep> into key and value (kcat's -K)")
    .option("-H, --header <key=value>", "a header for every record, repeatable", collect)
    .option("-p, --partition <n>", "send every record to this partition", wholeNumber(0))
    .option("--json", "each value is JSON (checked): a line must parse")
    .action(async (topic: string, opts) => {
      const headers = Object.fromEntries(((opts.header as string[] | undefined) ?? []).map(parseHeader));
      const lineOptions = {
        keySeparator: opts.keyDelimiter as string | undefined,
        json: Boolean(opts.json),
        headers,
        partition: opts.partition as number | undefined,
      };
      const producer = clientOf(opts).producer({ batchSize: 4 * 1024 * 1024 });
      const input = opts.file ? createReadStream(opts.file) : process.stdin;
      // Typing at a terminal: each line goes at once instead of waiting for a full chunk.
      const interactive = !opts.file && Boolean(process.stdin.isTTY);
      const progress = createProgress({
        enabled: Boolean(process.stderr.isTTY) && !interactive,
        totalBytes: opts.file ? statSync(opts.file).size : undefined,
      });

      let failure: unknown;
      const inFlight: Promise<unknown>[] = [];
      let sent = 0;
      let bytesRead = 0;
      let chunk: Message[] = [];
      let chunkBytes = 0;
      const dispatch = async () => {
        if (chunk.length === 0) return;
        const messages = chunk;
        chunk = [];
        chunkBytes = 0;
        const sending = producer.send({ topic, messages }).then(
          () => {
            sent += messages.length;
            progress.update(sent, bytesRead);
          },
          (err) => {
            failure ??= err;
          },
        );
        inFlight.push(sending);
        if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
        if (failure) throw failure;
      };
      const settle = async () => {
        await Promise.all(inFlight.splice(0));
        await producer.flush();
        if (failure) throw failure;
      };

      const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      let lineNumber = 0;
      try {
        for await (const line of lines) {
          lineNumber++;
          let message: Message;
          try {
            message = lineToMessage(line, lineOptions, lineNumber);
          } catch (err) {
            // What came before the bad line is sent, as the message says.
            await dispatch();
            await settle();
            throw err;
          }
          chunk.push(message);
          chunkBytes += line.length + 1;
          bytesRead += line.length + 1;
          if (interactive || chunk.length >= CHUNK_RECORDS || chunkBytes >= CHUNK_BYTES) await dispatch();
        }
        await dispatch();
        await settle();
      } finally {
        lines.close();
        progress.stop();
      }
      if (process.stderr.isTTY && !interactive) console.error(`produced ${sent} records to ${topic}`);
    });
}
