/** Writes: PUT creates a stream (or a fork of one), POST appends or closes, DELETE removes. */
import { encodeBody } from "../../../cluster/durable-streams/bodies.ts";
import type { AppendOutcome, CreateOutcome } from "../../../cluster/rpc/durable-stream.ts";
import { durableStreamStub } from "../../../cluster/stubs.ts";
import { chargeProduce } from "../../middleware/authorize.ts";
import { type Ctx, empty, failed, readBody, text } from "./answers.ts";
import { givenContentType, H, parseCreate, parseFork, parseProducer } from "./headers.ts";
import { encodeOffset, parseOffset } from "./offsets.ts";

export async function create(c: Ctx, path: string): Promise<Response> {
  const settings = parseCreate(c.req.raw.headers);
  if ("invalid" in settings) return text(400, settings.invalid);
  const forked = parseFork(c.req.raw.headers);
  if ("invalid" in forked) return text(400, forked.invalid);
  const { fork } = forked;
  let forkOffset: number | undefined;
  if (fork?.offsetHeader !== undefined) {
    const parsed = parseOffset(fork.offsetHeader);
    forkOffset = parsed?.kind === "at" ? parsed.position : Number.POSITIVE_INFINITY;
  }
  const body = await readBody(c);
  if (body instanceof Response) return body;
  // A fork without a Content-Type takes its source's, which its body is then encoded for.
  let asked: Partial<typeof settings> = settings;
  let contentType = settings.contentType;
  if (fork && givenContentType(c.req.raw.headers) === undefined) {
    const { contentType: _, ...rest } = settings;
    asked = rest;
    const source = await durableStreamStub(c.env, fork.from).head();
    if (source.kind !== "found") {
      return source.kind === "gone"
        ? text(409, "source stream was deleted but still has active forks")
        : text(404, "Source stream not found");
    }
    contentType = source.view.contentType;
  }
  const encoded = body.byteLength > 0 ? encodeBody(body, contentType, true) : undefined;
  if (encoded && "ok" in encoded) return failed(encoded);
  const outcome = (await durableStreamStub(c.env, path).create(
    path,
    asked,
    encoded,
    fork && { from: fork.from, offset: forkOffset, offsetHeader: fork.offsetHeader, subOffset: fork.subOffset },
  )) as CreateOutcome;
  switch (outcome.kind) {
    case "created":
    case "exists": {
      const headers: Record<string, string> = {
        "content-type": outcome.view.contentType,
        [H.nextOffset]: encodeOffset(outcome.view.tail),
      };
      if (outcome.kind === "created") headers.location = c.req.url.split("?")[0]!;
      if (outcome.view.closed) headers[H.closed] = "true";
      return empty(outcome.kind === "created" ? 201 : 200, headers);
    }
    case "conflict":
      return text(409, "Stream already exists with different configuration");
    case "gone":
      return text(
        409,
        "stream was deleted but still has active forks — path cannot be reused until all forks are removed",
      );
    case "source_not_found":
      return text(404, "Source stream not found");
    case "source_gone":
      return text(409, "source stream was deleted but still has active forks");
    case "source_content_type_mismatch":
      return text(409, "Content type mismatch with source stream");
    case "invalid":
      return text(400, outcome.message);
    case "failed":
      return failed(outcome.failure);
  }
}

export async function append(c: Ctx, path: string): Promise<Response> {
  const close = c.req.header(H.closed) === "true";
  const parsed = parseProducer(c.req.raw.headers);
  if ("invalid" in parsed) return text(400, parsed.invalid);
  const { producer } = parsed;
  const body = await readBody(c);
  if (body instanceof Response) return body;
  const contentType = c.req.header("content-type");
  if (body.byteLength === 0 && !close) return text(400, "Empty body");
  if (body.byteLength > 0 && !contentType) return text(400, "Content-Type header is required");
  const encoded = body.byteLength > 0 ? encodeBody(body, contentType!, false) : undefined;
  if (encoded && "ok" in encoded) return failed(encoded);
  if (encoded) await chargeProduce(c, 1, body.byteLength);
  const outcome = (await durableStreamStub(c.env, path).append({
    contentType,
    seq: c.req.header(H.seq),
    producer,
    close,
    body: encoded,
  })) as AppendOutcome;
  const producerHeaders = (seq: number): Record<string, string> =>
    producer ? { [H.producerEpoch]: String(producer.epoch), [H.producerSeq]: String(seq) } : {};
  const closedHeader = (closed: boolean): Record<string, string> => (closed ? { [H.closed]: "true" } : {});
  switch (outcome.kind) {
    case "appended":
      return empty(producer && encoded ? 200 : 204, {
        [H.nextOffset]: encodeOffset(outcome.tail),
        ...producerHeaders(producer?.seq ?? 0),
        ...closedHeader(outcome.closed),
      });
    case "duplicate":
      return empty(204, {
        [H.nextOffset]: encodeOffset(outcome.tail),
        ...producerHeaders(outcome.lastSeq),
        ...closedHeader(outcome.closed),
      });
    case "not_found":
      return text(404, "Stream not found");
    case "gone":
      return text(410, "Stream is gone");
    case "closed":
      return text(409, "Stream is closed", { [H.closed]: "true", [H.nextOffset]: encodeOffset(outcome.tail) });
    case "content_type_mismatch":
      return text(409, "Content-type mismatch");
    case "seq_conflict":
      return text(409, "Sequence conflict");
    case "stale_epoch":
      return text(403, "Stale producer epoch", { [H.producerEpoch]: String(outcome.currentEpoch) });
    case "invalid_epoch_seq":
      return text(400, "New epoch must start with sequence 0");
    case "sequence_gap":
      return text(409, "Producer sequence gap", {
        [H.expectedSeq]: String(outcome.expected),
        [H.receivedSeq]: String(outcome.received),
      });
    case "invalid":
      return text(400, outcome.message);
    case "failed":
      return failed(outcome.failure);
  }
}

export async function remove(c: Ctx, path: string): Promise<Response> {
  const { kind } = await durableStreamStub(c.env, path).remove();
  if (kind === "gone") return text(410, "Stream is gone");
  return kind === "deleted" ? empty(204, {}) : text(404, "Stream not found");
}
