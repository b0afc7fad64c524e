// @ts-check
/**
 * Signed impression ids. The ad server issues one id per impression (an ad shown once); a click
 * carries it back. The id is `<nonce>.<issued>.<signature>`: a random 96-bit nonce, the issue time
 * (ms, base 36) and an HMAC-SHA256 over `<adId>.<nonce>.<issued>`, so an id is valid for one ad
 * only and cannot be made up or moved to another ad without the key. WebCrypto only: the same
 * module runs in the worker, in Node (load generator, bench) and in tests.
 */

const encoder = new TextEncoder();
/** Bytes of the HMAC kept in the id: 128 bits, as many as forging would have to guess. */
const SIGNATURE_BYTES = 16;
const ID_PATTERN = /^([A-Za-z0-9_-]{16})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{22})$/;

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @param {string} s */
function fromBase64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** @type {Map<string, Promise<CryptoKey>>} */
const keys = new Map();

/**
 * The HMAC key for a secret (cached: importing a key is the slow part of signing).
 * @param {string} secret
 */
export function signingKey(secret) {
  if (typeof secret !== "string" || secret.length < 16) {
    throw new Error("the impression signing secret must be a string of at least 16 characters");
  }
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** @param {string} adId @param {string} nonce @param {string} issued */
const payload = (adId, nonce, issued) => encoder.encode(`${adId}.${nonce}.${issued}`);

/**
 * A new signed impression id for `adId`.
 * @param {string} secret @param {string} adId @param {number} [issuedAt] ms since epoch
 * @returns {Promise<string>}
 */
export async function signImpression(secret, adId, issuedAt = Date.now()) {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(12)));
  const issued = Math.floor(issuedAt).toString(36);
  const mac = await crypto.subtle.sign("HMAC", await signingKey(secret), payload(adId, nonce, issued));
  return `${nonce}.${issued}.${base64url(new Uint8Array(mac).subarray(0, SIGNATURE_BYTES))}`;
}

/**
 * @typedef {{ ok: true, nonce: string, issuedAt: number }
 *   | { ok: false, reason: "malformed" | "bad-signature" }} ImpressionCheck
 */

/**
 * Checks that `id` was issued by the holder of `secret` for `adId`. The MAC is recomputed and
 * compared byte by byte without an early exit, so the time taken says nothing about how much of a
 * forged signature was right.
 * @param {string} secret @param {string} adId @param {string} id
 * @returns {Promise<ImpressionCheck>}
 */
export async function verifyImpression(secret, adId, id) {
  const match = ID_PATTERN.exec(id);
  if (!match) return { ok: false, reason: "malformed" };
  const [, nonce = "", issued = "", signature = ""] = match;
  const key = await signingKey(secret);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, payload(adId, nonce, issued)));
  const given = fromBase64url(signature);
  let diff = 0;
  for (let i = 0; i < SIGNATURE_BYTES; i++) diff |= /** @type {number} */ (mac[i]) ^ /** @type {number} */ (given[i]);
  if (diff !== 0) return { ok: false, reason: "bad-signature" };
  return { ok: true, nonce, issuedAt: Number.parseInt(issued, 36) };
}
