/**
 * The protocol's rules for one stream, without storage: expiry, repeated creates, and the
 * idempotent producer check (client-chosen producer ids, client-declared epochs).
 */
import type { TopicIncarnation } from "../../cluster/rpc/controller.ts";
import type {
  AppendInput,
  AppendOutcome,
  ForkRequest,
  ProducerTriple,
  StreamSettings,
  StreamView,
} from "../../cluster/rpc/durable-stream.ts";

/** Producer state unused this long is forgotten, as the reference server does. */
export const PRODUCER_STATE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface StreamMeta extends StreamSettings {
  path: string;
  topic: TopicIncarnation;
  createdAt: number;
  lastAccessedAt: number;
  tail: number;
  /** The producer triple whose request closed the stream: its retry answers as a duplicate. */
  closedBy?: ProducerTriple;
  /** The highest Stream-Seq appended. */
  lastSeq?: string;
  /** For a fork: its source, and the fork headers as sent (a repeated create must match them). */
  fork?: { from: string; offsetHeader?: string; subOffset: number; asked: Partial<StreamSettings> };
  /** Live forks of this stream. While there are any, a delete or expiry leaves it `softDeleted`. */
  refCount?: number;
  softDeleted?: boolean;
  /**
   * An append sent to the partition whose answer was not seen yet (the object restarted, or
   * the call failed in transit). Settled against the partition's high watermark before the
   * next write, so producer state and the log never disagree.
   */
  pending?: PendingAppend;
}

/** One partition append: the records of a group of requests, and what they change once stored. */
export interface PendingAppend {
  base: number;
  count: number;
  producers: { id: string; state: ProducerState }[];
  seq?: string;
  close?: ProducerTriple | true;
}

export interface ProducerState {
  epoch: number;
  lastSeq: number;
  updatedAt: number;
}

export function viewOf(meta: StreamMeta): StreamView {
  return {
    contentType: meta.contentType,
    ttlSeconds: meta.ttlSeconds,
    expiresAt: meta.expiresAt,
    closed: meta.closed,
    tail: meta.tail,
    topic: meta.topic,
  };
}

/** When the stream expires: at Stream-Expires-At, or TTL seconds after its last read or append. */
export function expiryTime(meta: StreamMeta): number | undefined {
  const times: number[] = [];
  if (meta.expiresAt !== undefined) {
    const at = new Date(meta.expiresAt).getTime();
    // An unreadable date expires at once (fail closed); parseCreate rejects them anyway.
    times.push(Number.isFinite(at) ? at : 0);
  }
  if (meta.ttlSeconds !== undefined) times.push(meta.lastAccessedAt + meta.ttlSeconds * 1000);
  return times.length > 0 ? Math.min(...times) : undefined;
}

export function isExpired(meta: StreamMeta, now: number): boolean {
  const at = expiryTime(meta);
  return at !== undefined && now >= at;
}

const normalize = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase();

const sameTriple = (a: ProducerTriple | undefined, b: ProducerTriple | undefined) =>
  !!a && !!b && a.id === b.id && a.epoch === b.epoch && a.seq === b.seq;

/** Whether a repeated create asks for the stream as it is (200) or for another one (409). */
export function sameSettings(meta: StreamMeta, asked: Partial<StreamSettings>, fork?: ForkRequest): boolean {
  if (meta.fork || fork) {
    // A fork inherits what it was not given; it is compared with what its creator asked for.
    const was = meta.fork;
    return (
      !!was &&
      !!fork &&
      was.from === fork.from &&
      (fork.offsetHeader === undefined || fork.offsetHeader === was.offsetHeader) &&
      (fork.subOffset ?? 0) === was.subOffset &&
      (asked.contentType === undefined || normalize(asked.contentType) === normalize(meta.contentType)) &&
      asked.ttlSeconds === was.asked.ttlSeconds &&
      asked.expiresAt === was.asked.expiresAt &&
      (asked.closed ?? false) === (was.asked.closed ?? false)
    );
  }
  if (asked.contentType === undefined || asked.closed === undefined) return false;
  return (
    normalize(meta.contentType) === normalize(asked.contentType) &&
    meta.ttlSeconds === asked.ttlSeconds &&
    meta.expiresAt === asked.expiresAt &&
    meta.closed === asked.closed
  );
}

export type ProducerCheck =
  | { status: "accepted"; state: ProducerState }
  | { status: "duplicate"; lastSeq: number }
  | { status: "stale_epoch"; currentEpoch: number }
  | { status: "invalid_epoch_seq" }
  | { status: "sequence_gap"; expected: number; received: number };

/**
 * The protocol's producer rules: a new producer (or a new, higher epoch) starts at sequence 0;
 * a sequence at or below the last accepted one is a duplicate (answered, not appended); a gap
 * is refused with the expected sequence; an older epoch is a zombie and is fenced.
 */
export function checkProducer(known: ProducerState | undefined, p: ProducerTriple, now: number): ProducerCheck {
  const live = known && now - known.updatedAt <= PRODUCER_STATE_TTL_MS ? known : undefined;
  const accepted = (lastSeq: number): ProducerCheck => ({
    status: "accepted",
    state: { epoch: p.epoch, lastSeq, updatedAt: now },
  });
  if (!live) return p.seq === 0 ? accepted(0) : { status: "sequence_gap", expected: 0, received: p.seq };
  if (p.epoch < live.epoch) return { status: "stale_epoch", currentEpoch: live.epoch };
  if (p.epoch > live.epoch) return p.seq === 0 ? accepted(0) : { status: "invalid_epoch_seq" };
  if (p.seq <= live.lastSeq) return { status: "duplicate", lastSeq: live.lastSeq };
  if (p.seq === live.lastSeq + 1) return accepted(p.seq);
  return { status: "sequence_gap", expected: live.lastSeq + 1, received: p.seq };
}

/** The stream as the appends checked so far in a group leave it. */
export interface Working {
  tail: number;
  closed: boolean;
  closedBy?: ProducerTriple;
  lastSeq?: string;
}

/**
 * Whether an append (or close) may be written, in the protocol's order of checks: closed
 * stream, content type, producer, Stream-Seq, then the body itself. Either its answer now, or
 * what it changes once written.
 */
export function admit(
  work: Working,
  contentType: string,
  input: AppendInput,
  known: (id: string) => ProducerState | undefined,
  now: number,
): AppendOutcome | { producer?: { id: string; state: ProducerState } } {
  const { producer, body } = input;
  if (work.closed) {
    if (producer && sameTriple(work.closedBy, producer)) {
      return { kind: "duplicate", lastSeq: producer.seq, tail: work.tail, closed: true };
    }
    // A plain close of a closed stream is idempotent; anything else is refused.
    if (!body && !producer) return { kind: "appended", tail: work.tail, closed: true };
    return { kind: "closed", tail: work.tail };
  }
  if (body && input.contentType && normalize(input.contentType) !== normalize(contentType)) {
    return { kind: "content_type_mismatch" };
  }
  let accepted: { id: string; state: ProducerState } | undefined;
  if (producer) {
    const check = checkProducer(known(producer.id), producer, now);
    switch (check.status) {
      case "accepted":
        accepted = { id: producer.id, state: check.state };
        break;
      case "duplicate":
        return { kind: "duplicate", lastSeq: check.lastSeq, tail: work.tail, closed: work.closed };
      case "stale_epoch":
        return { kind: "stale_epoch", currentEpoch: check.currentEpoch };
      case "invalid_epoch_seq":
        return { kind: "invalid_epoch_seq" };
      case "sequence_gap":
        return { kind: "sequence_gap", expected: check.expected, received: check.received };
    }
  }
  if (body && input.seq !== undefined && work.lastSeq !== undefined && input.seq <= work.lastSeq) {
    return { kind: "seq_conflict" };
  }
  if (body && "invalid" in body) return { kind: "invalid", message: body.invalid };
  return { producer: accepted };
}
