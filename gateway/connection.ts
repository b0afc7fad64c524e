/**
 * One client connection: frames in, requests served one at a time in arrival order (as a Kafka
 * broker does, so a partition's produce requests keep their order), responses out in the same
 * order. Authentication is per connection (SASL/PLAIN, or the gateway's own token). Memory is
 * bounded: a frame over the limit closes the connection before it is buffered, and the socket
 * stops being read while a frame's worth of requests waits (TCP's back pressure reaches the
 * client). A request that does not decode closes the connection; nothing of it was stored.
 */
import type { Socket } from "node:net";
import { type Api, createApi } from "./api.ts";
import type { Advertised, GatewayLimits, RequestContext } from "./context.ts";
import { API_KEYS, apiVersions, SERVED } from "./handlers/index.ts";
import { authenticateAnswer, plainPassword, saslHandshake, tokenAccepted } from "./handlers/sasl.ts";
import { decode, MalformedRequest, type Struct } from "./protocol/codec.ts";
import { kafkaCode } from "./protocol/errors.ts";
import { FrameSplitter, readHeader, responseFrame } from "./protocol/frames.ts";
import type { Definitions } from "./protocol/schema.ts";

export interface GatewayCore {
  defs: Definitions;
  url: string;
  /** The token of clients that do not authenticate; without it they are refused. */
  token?: string;
  advertised: Advertised;
  limits: GatewayLimits;
  maxRequestBytes: number;
  requestTimeoutMs: number;
  log(message: string): void;
}

/** Why a connection is closed instead of answered. */
class Refused extends Error {}

export class Connection {
  private readonly splitter: FrameSplitter;
  private readonly frames: Buffer[] = [];
  private queuedBytes = 0;
  private serving = false;
  private closed = false;
  private api: Api | undefined;
  /**
   * The SaslHandshake this connection made: v1 is followed by SaslAuthenticate requests; v0
   * (clients before Kafka 1.0, and what librdkafka checks a broker has) by the SASL token alone,
   * in a frame of its own with no request header.
   */
  private handshake: "none" | "v0" | "v1" = "none";
  private readonly peer: string;

  constructor(
    private readonly socket: Socket,
    private readonly core: GatewayCore,
  ) {
    this.splitter = new FrameSplitter(core.maxRequestBytes);
    this.peer = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    if (core.token) this.api = createApi({ url: core.url, requestTimeoutMs: core.requestTimeoutMs }, core.token);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.received(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => {
      this.closed = true;
    });
  }

  private received(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      this.refuse((err as Error).message);
      return;
    }
    for (const f of frames) {
      this.frames.push(f);
      this.queuedBytes += f.length;
    }
    if (this.queuedBytes + this.splitter.pending > this.core.maxRequestBytes) this.socket.pause();
    void this.serve();
  }

  private async serve(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      while (!this.closed && this.frames.length > 0) {
        const frame = this.frames.shift()!;
        this.queuedBytes -= frame.length;
        if (this.socket.isPaused() && this.queuedBytes <= this.core.maxRequestBytes / 2) this.socket.resume();
        const answer = await this.answer(frame);
        if (answer && !this.closed && !this.socket.write(answer)) {
          await new Promise((resolve) => this.socket.once("drain", resolve));
        }
      }
    } catch (err) {
      this.refuse(
        err instanceof Refused || err instanceof MalformedRequest
          ? err.message
          : `failed: ${(err as Error).stack ?? err}`,
      );
    } finally {
      this.serving = false;
    }
  }

  /** The response frame for one request, or undefined for none. */
  private async answer(frame: Buffer): Promise<Buffer | undefined> {
    if (this.handshake === "v0") return this.rawAuthentication(frame);
    const { header, body, api } = readHeader(this.core.defs, frame);
    const served = SERVED.get(header.apiKey);
    if (!api || !served) throw new Refused(`API key ${header.apiKey} is not served`);
    const version = header.apiVersion;
    const respond = (answer: Struct, v = version) =>
      responseFrame(this.core.defs, api, v, header.correlationId, answer);
    if (header.apiKey === API_KEYS.ApiVersions) {
      // A version past ours: the answer is v0 with the error and our versions, and the client tries again.
      if (version > served.max) return respond(apiVersions(kafkaCode("UNSUPPORTED_VERSION")), 0);
      decode(api.request, version, body);
      return respond(apiVersions());
    }
    if (version < served.min || version > served.max) {
      throw new Refused(`${api.name} v${version} is not served (versions ${served.min} to ${served.max} are)`);
    }
    const request = decode(api.request, version, body);
    if (header.apiKey === API_KEYS.SaslHandshake) {
      const answer = saslHandshake(request);
      if (answer.errorCode === 0) this.handshake = version === 0 ? "v0" : "v1";
      return respond(answer);
    }
    if (header.apiKey === API_KEYS.SaslAuthenticate) {
      if (this.handshake !== "v1") throw new Refused("SaslAuthenticate without a SaslHandshake v1 before it");
      const api = await this.authenticate(request.authBytes as Buffer);
      if (!api) {
        this.failedAuthentication(respond(authenticateAnswer(false)));
        return undefined;
      }
      this.api = api;
      this.handshake = "none";
      return respond(authenticateAnswer(true));
    }
    if (!this.api)
      throw new Refused(`${api.name} before authenticating: use SASL/PLAIN with a Tributary token as the password`);
    const ctx: RequestContext = {
      api: this.api,
      header,
      version,
      advertised: this.core.advertised,
      limits: this.core.limits,
      clientHost: this.socket.remoteAddress ?? "",
    };
    const answer = await served.handler!(ctx, request);
    return answer === undefined ? undefined : respond(answer);
  }

  /** The API of a PLAIN token's password, or undefined when Tributary does not know it. */
  private async authenticate(plain: Buffer): Promise<Api | undefined> {
    const password = plainPassword(plain);
    if (password === undefined || password === "") return undefined;
    const api = createApi({ url: this.core.url, requestTimeoutMs: this.core.requestTimeoutMs }, password);
    return (await tokenAccepted(api)) ? api : undefined;
  }

  /** After SaslHandshake v0: the frame is the PLAIN token; success is an empty frame, failure a close. */
  private async rawAuthentication(token: Buffer): Promise<Buffer | undefined> {
    const api = await this.authenticate(token);
    if (!api) {
      this.failedAuthentication();
      return undefined;
    }
    this.api = api;
    this.handshake = "none";
    return Buffer.alloc(4);
  }

  private failedAuthentication(last?: Buffer): void {
    this.core.log(`${this.peer}: SASL authentication failed`);
    this.closed = true;
    if (last) this.socket.end(last);
    else this.socket.destroy();
  }

  private refuse(why: string): void {
    this.core.log(`${this.peer}: closing the connection: ${why}`);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }
}
