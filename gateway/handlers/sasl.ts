/**
 * SASL/PLAIN: the password is a Tributary token (any username; an authorization id is ignored).
 * It is checked by asking Tributary with it; from then on every request of the connection is
 * made with that token, so Tributary applies its rights. A wrong password is answered with
 * SASL_AUTHENTICATION_FAILED and the connection closed, as a Kafka broker does.
 */
import { z } from "zod";
import type { Api } from "../api.ts";
import { TributaryError } from "../api.ts";
import { code } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";

export const MECHANISMS = ["PLAIN"];

export function saslHandshake(request: Struct): Struct {
  const supported = MECHANISMS.includes(request.mechanism as string);
  return { errorCode: supported ? 0 : code("UNSUPPORTED_SASL_MECHANISM"), mechanisms: MECHANISMS };
}

/** `[authzid] NUL authcid NUL passwd` (RFC 4616). */
export function plainPassword(bytes: Buffer): string | undefined {
  const parts = bytes.toString("utf8").split("\u0000");
  return parts.length === 3 ? parts[2] : undefined;
}

/** Whether Tributary accepts `token`: `GET /v1/token` (who it is) needs no right, only a valid token. */
export async function tokenAccepted(api: Api): Promise<boolean> {
  try {
    await api.request({ method: "GET", path: "v1/token" }, z.unknown());
    return true;
  } catch (err) {
    if (err instanceof TributaryError && err.code === "UNAUTHENTICATED") return false;
    throw err;
  }
}

export function authenticateAnswer(ok: boolean): Struct {
  return ok
    ? { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
    : {
        errorCode: code("SASL_AUTHENTICATION_FAILED"),
        errorMessage: "the password is not a valid Tributary token",
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
}
