/**
 * The token in an Upstash client's Authorization header. `@upstash/kafka` sends HTTP Basic
 * credentials (`username:password`); the password is a Tributary API token and the username
 * is not checked (keep any value, e.g. the old UPSTASH_KAFKA_REST_USERNAME). A bearer token
 * is accepted too, for curl and other HTTP clients.
 */
import { base64ToBytes } from "../../../sdk/base64.ts";

export type Credentials = { token: string } | { problem: string };

const utf8 = new TextDecoder();

export function tokenFromAuthorization(header: string | undefined): Credentials {
  if (!header) {
    return { problem: "missing credentials: send HTTP Basic auth with a Tributary API token as the password" };
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return { token: bearer[1]!.trim() };
  const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!basic) {
    return { problem: "the Authorization header is neither Basic nor Bearer; send Basic <base64 of user:token>" };
  }
  let decoded: string;
  try {
    decoded = utf8.decode(base64ToBytes(basic[1]!));
  } catch {
    return { problem: "the Basic credentials are not valid base64" };
  }
  const colon = decoded.indexOf(":");
  if (colon === -1) return { problem: "the Basic credentials have no ':' between username and password" };
  return { token: decoded.slice(colon + 1) };
}
