/**
 * What a request handler gets: the API of the connection's client (its token), the request's
 * header and version, and what the gateway advertises about itself (the cluster's one broker).
 */
import type { Api } from "./api.ts";
import { codeOf } from "./api.ts";
import type { Struct } from "./protocol/codec.ts";
import { type KafkaErrorName, kafkaCode, kafkaErrorOf } from "./protocol/errors.ts";
import type { RequestHeader } from "./protocol/frames.ts";

/** The broker every client is told about: this gateway (node 0, leader of every partition). */
export interface Advertised {
  nodeId: number;
  host: string;
  port: number;
  clusterId: string;
}

export interface GatewayLimits {
  /** Bytes a record batch may expand to when decompressed. */
  maxBatchBytes: number;
  /** Create topics a client asks for in Metadata (Kafka's auto.create.topics.enable). */
  autoCreateTopics: boolean;
}

export interface RequestContext {
  api: Api;
  header: RequestHeader;
  version: number;
  advertised: Advertised;
  limits: GatewayLimits;
  /** The connection's peer address, for ClientHost in group descriptions. */
  clientHost: string;
}

/** A handler answers the response body, or undefined for no response at all (Produce with acks 0). */
export type Handler = (ctx: RequestContext, request: Struct) => Promise<Struct | undefined>;

/** Kafka's numeric error code for a failure from Tributary's API (or a Kafka error name). */
export function errorCode(err: unknown): number {
  return kafkaCode(kafkaErrorOf(codeOf(err)));
}

export function code(name: KafkaErrorName | "NONE"): number {
  return kafkaCode(name);
}

/** The message of a failure, for the responses that carry one. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** ThrottleTimeMs and friends: fields every response of these versions has, left at their defaults. */
export const NO_THROTTLE = { throttleTimeMs: 0 };
