// The SDK in a real browser (headless Chromium through playwright-core), on another origin than
// the worker: the browser example's page (examples/browser-ingest, the SDK bundled by esbuild)
// sends events with a write-only token, cross-origin (CORS, allowed by the e2e worker's
// CORS_ORIGINS); the same page then consumes them in a consumer group over WebSockets with a
// read token; a page on an origin the worker does not allow cannot send at all.
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { servePage } from "../../examples/browser-ingest/serve.mjs";
import { createClient } from "../../sdk/index.ts";
import { freePort } from "../helpers/local-worker.mjs";

const CHROMIUM = "/usr/bin/chromium";
const url = inject("baseUrl");
const admin = createClient({ url, token: inject("token") }).admin();

let browser: Browser;
let allowed: { url: string; close: () => Promise<void> };
let other: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  // A missing browser fails the suite (a skipped test checks nothing): .ci/run installs it.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  [browser, allowed, other] = await Promise.all([
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    }),
    servePage({ port: inject("pagePort") }),
    servePage({ port: await freePort() }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([browser?.close(), allowed?.close(), other?.close()]);
});

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

async function ingestToken(topic: string): Promise<string> {
  const { token } = await admin.createToken({
    name: `browser ingest ${topic}`,
    acls: [{ resource: "topic", pattern: topic, operations: ["write"] }],
    quota: { recordsPerSecond: 100 },
  });
  return token;
}

/** Fills the page's form and starts sending: the page sends a page view, then a click per button press. */
async function startSending(page: Page, topic: string, token: string): Promise<void> {
  await page.fill("#url", url);
  await page.fill("#topic", topic);
  await page.fill("#token", token);
  await page.click("#setup button");
}

const logLines = (page: Page) => page.$$eval("#log li", (items) => items.map((li) => li.textContent ?? ""));

describe("the SDK in a browser", () => {
  it("sends events cross-origin with a write-only token, and consumes them over WebSockets with a read token", async () => {
    const topic = unique("browser");
    const group = unique("browser-group");
    await admin.createTopic({ topic, partitions: 2, replicationFactor: 1 });
    const page = await browser.newPage();
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    try {
      await page.goto(allowed.url);
      await startSending(page, topic, await ingestToken(topic));
      await expect.poll(() => logLines(page), { timeout: 15_000 }).toHaveLength(1);
      await page.click("#click");
      await page.click("#click");
      await expect.poll(() => logLines(page), { timeout: 15_000 }).toHaveLength(3);
      const lines = await logLines(page);
      expect(lines[0]).toMatch(/^page_view: stored in partition \d at offset 0$/);
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(/^click: stored/),
        expect.stringMatching(/^click: stored/),
      ]);

      // The write-only token reads nothing: the page's SDK gets Kafka's 403.
      const refused = await page.evaluate(
        async ({ url, topic, token }) => {
          const { createClient } = (globalThis as any).tributary;
          try {
            await createClient({ url, token }).fetch({ topic, partition: 0, offset: 0 });
            return "read";
          } catch (err) {
            return (err as { code?: string }).code;
          }
        },
        { url, topic, token: await ingestToken(topic) },
      );
      expect(refused).toBe("TOPIC_AUTHORIZATION_FAILED");

      // A viewer's token: read on the topic and the group. WebSockets cannot send headers, so
      // the browser's SDK puts it in the subscribe URL.
      const { token: viewer } = await admin.createToken({
        name: `browser viewer ${topic}`,
        acls: [
          { resource: "topic", pattern: topic, operations: ["read"] },
          { resource: "group", pattern: group, operations: ["read"] },
        ],
      });
      const consumed = await page.evaluate(
        async ({ url, topic, group, token }) => {
          const { createClient } = (globalThis as any).tributary;
          const consumer = createClient({ url, token }).consumer({ groupId: group, push: "websocket" });
          const seen: { type: string; partition: number; offset: number }[] = [];
          await consumer.subscribe({ topic, fromBeginning: true });
          await consumer.run({
            eachMessage: async ({ partition, message }: any) => {
              seen.push({ type: message.value.type, partition, offset: message.offset });
            },
          });
          const deadline = Date.now() + 20_000;
          while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          await consumer.disconnect();
          return seen;
        },
        { url, topic, group, token: viewer },
      );
      expect(consumed.map((r) => r.type)).toEqual(["page_view", "click", "click"]);
      // One visit is one key: its events are in order on one partition.
      expect(new Set(consumed.map((r) => r.partition)).size).toBe(1);
      expect(consumed.map((r) => r.offset)).toEqual([0, 1, 2]);
      const subscribed = sockets.map((s) => new URL(s)).filter((u) => u.pathname.endsWith("/subscribe"));
      expect(subscribed.length).toBeGreaterThan(0);
      expect(subscribed.every((u) => u.origin === url.replace("http:", "ws:"))).toBe(true);
      expect(subscribed.every((u) => u.searchParams.get("token") === viewer)).toBe(true);
    } finally {
      await page.close();
      await admin.deleteTopic(topic);
    }
  });

  it("cannot send from a page whose origin the worker's CORS_ORIGINS does not list", async () => {
    const topic = unique("browser-cors");
    await admin.createTopic({ topic, partitions: 1, replicationFactor: 1 });
    const page = await browser.newPage();
    try {
      await page.goto(other.url);
      await startSending(page, topic, await ingestToken(topic));
      await expect.poll(() => logLines(page), { timeout: 20_000 }).toHaveLength(1);
      expect((await logLines(page))[0]).toMatch(/^page_view: CONNECTION_ERROR/);
      const [offsets] = await admin.fetchTopicOffsets(topic);
      expect(offsets!.high).toBe(0);
    } finally {
      await page.close();
      await admin.deleteTopic(topic);
    }
  });
});
