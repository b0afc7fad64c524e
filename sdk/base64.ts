/**
 * Standard base64 for binary keys and values (`keyBase64`, `valueBase64` on the wire), with
 * only `btoa`/`atob`, which every runtime has (no Buffer, so it runs beyond Node).
 */

// String.fromCharCode takes its bytes as arguments; this keeps each call well under the
// engines' argument limits.
const CHUNK = 0x8000;

/** Encodes bytes as standard (padded) base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Decodes standard base64 to bytes; throws on text that is not base64. */
export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The bytes of a binary value given as a Uint8Array (Node's Buffer is one) or an ArrayBuffer. */
export function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}
