/**
 * The protocol's rules for one stream, without storage: expiry, repeated creates, and the
 * idempotent producer check (client-chosen producer ids, client-declared epochs).
 */
import type { ProducerTriple, StreamSettings, StreamView } from "./types.ts";

/** Producer state unused this long is forgotten, as the reference server does. */
export const PRODUCER_STATE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface StreamMeta extends StreamSettings {
  path: string;
  topic: { name: string; id: string };
  createdAt: number;
  lastAccessedAt: number;
  tail: number;
  /** The producer triple whose request closed the stream: its retry answers as a duplicate. */
  closedBy?: ProducerTriple;
  /** The highest Stream-Seq appended. */
  lastSeq?: string;
  /**
   * An append sent to the partition whose answer was not seen yet (the object restarted, or
   * the call failed in transit). Settled against the partition's high watermark before the
   * next write, so producer state and the log never disagree.
   */
  pending?: PendingAppend;
}

export interface PendingAppend {
  base: number;
  count: number;
  producer?: { id: string; state: ProducerState };
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

/** Whether a repeated create asks for the stream as it is (200) or for another one (409). */
export function sameSettings(meta: StreamMeta, asked: StreamSettings): boolean {
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
