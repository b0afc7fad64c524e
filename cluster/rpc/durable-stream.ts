/** A DurableStream's RPC contract: what the Durable Streams routes send it and what it answers. */
import type { Failure } from "../../sdk/protocol/errors.ts";
import type { EncodedRecords } from "../stored-records.ts";
import type { TopicIncarnation } from "./controller.ts";

/** A stream's settings as its creator gave them (the headers of the first PUT). */
export interface StreamSettings {
  contentType: string;
  ttlSeconds?: number;
  /** As sent (an ISO 8601 timestamp); compared as a string when a create is repeated. */
  expiresAt?: string;
  closed: boolean;
}

/** The records of one append, encoded for the partition (see stored-records.ts). */
export type EncodedBody = EncodedRecords;

/** A body the worker could not turn into records: the 400 answer, given after the checks that come first. */
export interface InvalidBody {
  invalid: string;
}

/** The client's producer triple (Producer-Id, Producer-Epoch, Producer-Seq). */
export interface ProducerTriple {
  id: string;
  epoch: number;
  seq: number;
}

/** What a reader needs to know of a stream. */
export interface StreamView {
  contentType: string;
  ttlSeconds?: number;
  expiresAt?: string;
  closed: boolean;
  /** The position after the last record: the partition's high watermark as this stream wrote it. */
  tail: number;
  topic: TopicIncarnation;
}

/** Forking: the new stream starts as a copy of its source up to `offset` (the source's tail if absent). */
export interface ForkRequest {
  from: string;
  /** The position to fork at, as parsed; the header as sent is kept to compare repeated creates. */
  offset?: number;
  offsetHeader?: string;
  /** Messages (JSON) or bytes (other types) of the source's next message to take as well. */
  subOffset?: number;
}

/** What a source gives a new fork (and counts as a reference until the fork is deleted). */
export type ForkSource =
  | {
      kind: "ok";
      view: StreamView;
      /** The fork holds the source's records below this position. */
      position: number;
      /** For a binary sub-offset: the prefix of the next message, base64, as the fork's first own record. */
      prefixBase64?: string;
      /** Where the source's appends (messages) end, up to `position`. */
      boundaries: number[];
    }
  | { kind: "not_found" | "gone" | "content_type_mismatch" }
  | { kind: "invalid"; message: string };

export type CreateOutcome =
  | { kind: "created" | "exists"; view: StreamView }
  | { kind: "conflict" | "gone" | "source_not_found" | "source_gone" | "source_content_type_mismatch" }
  | { kind: "invalid"; message: string }
  | { kind: "failed"; failure: Failure };

export interface AppendInput {
  contentType?: string;
  /** Stream-Seq: a writer's own ordering token, compared as a string. */
  seq?: string;
  producer?: ProducerTriple;
  close: boolean;
  /** Undefined for a close without data. */
  body?: EncodedBody | InvalidBody;
}

export type AppendOutcome =
  | { kind: "appended"; tail: number; closed: boolean }
  | { kind: "gone" }
  | { kind: "duplicate"; lastSeq: number; tail: number; closed: boolean }
  | { kind: "not_found" }
  | { kind: "closed"; tail: number }
  | { kind: "content_type_mismatch" }
  | { kind: "seq_conflict" }
  | { kind: "stale_epoch"; currentEpoch: number }
  | { kind: "invalid_epoch_seq" }
  | { kind: "sequence_gap"; expected: number; received: number }
  | { kind: "invalid"; message: string }
  | { kind: "failed"; failure: Failure };

/** `gone`: deleted or expired while forks of it live (the protocol's 410). */
export type Lookup = { kind: "found"; view: StreamView } | { kind: "not_found" | "gone" };
export type WaitOutcome = { kind: "found"; view: StreamView; timedOut: boolean } | { kind: "not_found" | "gone" };
