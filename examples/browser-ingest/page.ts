/**
 * The page's script, bundled for the browser by serve.mjs: it sends the visitor's events (a
 * page view, then each click of the button) to a topic with a write-only token. Events of one
 * visit share a key, so they stay in order on one partition. The SDK is also left on
 * `window.tributary`, to try it from the developer tools.
 */
import { createClient, type Producer, TributaryError } from "tributary/sdk";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const visit = crypto.randomUUID();

(globalThis as { tributary?: unknown }).tributary = { createClient };

function log(text: string, error = false): void {
  const li = document.createElement("li");
  li.textContent = text;
  if (error) li.className = "error";
  $("log").append(li);
}

async function sendEvent(producer: Producer, topic: string, type: string): Promise<void> {
  try {
    const [sent] = await producer.send({
      topic,
      messages: [{ key: visit, value: { type, visit, path: location.pathname, at: Date.now() } }],
    });
    log(`${type}: stored in partition ${sent!.partition} at offset ${sent!.offset}`);
  } catch (err) {
    // A 403 (the token may not write here), a 429 (over its quota), a CORS refusal (the
    // worker's CORS_ORIGINS does not list this page's origin) all end here.
    const code = err instanceof TributaryError ? err.code : "ERROR";
    log(`${type}: ${code}: ${err instanceof Error ? err.message : String(err)}`, true);
  }
}

$("setup").addEventListener("submit", async (event) => {
  event.preventDefault();
  const url = $<HTMLInputElement>("url").value.trim();
  const topic = $<HTMLInputElement>("topic").value.trim();
  const token = $<HTMLInputElement>("token").value.trim();
  const producer = createClient({ url, token, retry: { retries: 2 } }).producer();
  $("status").textContent = `Sending to '${topic}' at ${url}.`;
  const click = $<HTMLButtonElement>("click");
  click.disabled = false;
  click.onclick = () => sendEvent(producer, topic, "click");
  await sendEvent(producer, topic, "page_view");
});
