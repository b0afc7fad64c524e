/** Server-Sent Events framing for the protocol's `live=sse` reads. */

/**
 * One event. Every line of the payload gets its own `data:` line, split on CR, LF and CRLF, so
 * a payload cannot inject events; no space after `data:`, because readers strip exactly one.
 */
export function sseEvent(type: "data" | "control", payload: string): string {
  return `event: ${type}\n${payload
    .split(/\r\n|\r|\n/)
    .map((line) => `data:${line}`)
    .join("\n")}\n\n`;
}

export interface ControlFields {
  streamNextOffset: string;
  streamCursor?: string;
  upToDate?: boolean;
  streamClosed?: boolean;
}

export function controlEvent(fields: ControlFields): string {
  return sseEvent("control", JSON.stringify(fields));
}
