// Live tail: the subscribe route's Server-Sent Events (docs/api.md "Subscribe"), read with
// fetch() so the token travels in the Authorization header. A browser's EventSource and
// WebSocket cannot send that header and would need `?token=` in the URL, which the console never
// does. Each event is `{"records", "nextOffset", "highWatermark"}` with the next offset as its
// id; a dropped stream is opened again from the last nextOffset, so nothing is lost or repeated.
import { savedToken } from "./session.js";

const MAX_RECONNECTS = 20;

/**
 * Tails a partition from `offset` (a number, "earliest" or "latest") until `signal` aborts.
 * `onRecords(message)` gets each event's data; `onState(text)` how the stream stands.
 */
export async function tail({ topic, partition, offset, signal, onRecords, onState }) {
  let from = offset;
  for (let attempt = 0; attempt <= MAX_RECONNECTS && !signal.aborted; attempt++) {
    try {
      const url = `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/subscribe?offset=${from}`;
      const res = await fetch(url, {
        headers: { accept: "text/event-stream", authorization: `Bearer ${savedToken() ?? ""}` },
        signal,
        credentials: "omit",
        cache: "no-store",
      });
      if (!res.ok || !res.body) {
        const body = await res.json().catch(() => ({}));
        onState(`error: ${body?.error?.message ?? res.status}`);
        if (res.status < 500) return;
      } else {
        onState("live");
        const opened = Date.now();
        for await (const event of sseEvents(res.body, signal)) {
          if (event.event !== "records" || !event.data) continue;
          // A stream that delivers is a success: only one that keeps failing at once gives up.
          attempt = 0;
          const message = JSON.parse(event.data);
          if (typeof message.nextOffset === "number") from = message.nextOffset;
          onRecords(message);
        }
        // A quiet stream that stayed open a while was fine too (the server or a proxy closed it).
        if (Date.now() - opened > 10_000) attempt = 0;
      }
    } catch (err) {
      if (signal.aborted) break;
      onState(`reconnecting: ${err instanceof Error ? err.message : err}`);
    }
    if (signal.aborted) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  onState(signal.aborted ? "stopped" : "gave up after repeated failures");
}

/** The events of an SSE body: `{ id, event, data }` each (comments and retry lines skipped). */
export async function* sseEvents(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      // On the whole buffer: a CR LF may be split across two chunks.
      buffer = (buffer + value).replaceAll("\r\n", "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { id: undefined, event: "message", data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") event.data += (event.data ? "\n" : "") + text;
          else if (field === "event") event.event = text;
          else if (field === "id") event.id = text;
        }
        if (event.data) yield event;
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
