// The web console (/console, docs/console.md) in a real browser (headless Chromium through
// playwright-core) against the e2e worker: log in, create a topic, edit its config, produce from
// the form, find the record in the browser, watch a live-tail record arrive, watch a group's lag
// change after a commit, and see the throughput chart move. At every step a screenshot goes to
// test-results/console/. Throughout, the token must appear in no URL the page visits or
// requests, and in localStorage only when "remember on this device" is ticked.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clickThroughRedirect } from "../../examples/ad-click-aggregator/driver.mjs";
import { ROOT } from "../helpers/local-worker.mjs";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(ROOT, "test-results/console");
const url = inject("baseUrl");
const token = inject("token");
const TOKEN_KEY = "tributary.console.token";
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every URL the page navigated to or requested. */
const urls: string[] = [];
const pageErrors: string[] = [];
/** What the browser said the page's Content-Security-Policy blocked. */
const blocked: string[] = [];

async function shot(name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const stored = () =>
  page.evaluate((key) => ({ session: sessionStorage.getItem(key), local: localStorage.getItem(key) }), TOKEN_KEY);

function expectTokenInNoUrl(): void {
  expect(page.url()).not.toContain(token);
  expect(urls.filter((u) => u.includes(token))).toEqual([]);
}

beforeAll(async () => {
  // A missing browser fails the suite (a skipped test checks nothing): .ci/run installs it.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on("request", (r) => urls.push(r.url()));
  page.on("framenavigated", (f) => urls.push(f.url()));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe("the web console in a browser", () => {
  const topic = unique("console");
  const group = unique("console-group");

  it("serves the page without a token, under a strict Content-Security-Policy", async () => {
    const answer = await page.goto(`${url}/console`);
    expect(answer?.status()).toBe(200);
    expect(page.url()).toBe(`${url}/console/`);
    const csp = answer?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(answer?.headers()["x-content-type-options"]).toBe("nosniff");
    await page.waitForSelector("#login:not([hidden])");
    // uPlot is served by the worker itself, not a CDN.
    const uplot = await fetch(`${url}/console/vendor/uplot.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain("uPlot");
    // What public/.assetsignore keeps back: the page's type-check config and uPlot's types.
    for (const path of ["/console/tsconfig.json", "/console/vendor/uplot.d.ts"]) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
    await shot("01-login");
  });

  it("refuses a wrong token and logs in with a good one, keeping it in sessionStorage only", async () => {
    await page.fill("#token", "not-a-token");
    await page.click("#login button");
    await expect.poll(() => page.textContent("#login-error"), { timeout: 10_000 }).toMatch(/not a valid/);
    expect(await stored()).toEqual({ session: null, local: null });

    await page.fill("#token", token);
    await page.click("#login button");
    await page.waitForSelector("#who:not([hidden])");
    expect(await page.textContent("#who")).toContain("superuser");
    expect(await page.inputValue("#token")).toBe("");
    expect(await stored()).toEqual({ session: token, local: null });
    await page.waitForSelector("#count-topics");
    await expect.poll(() => page.textContent("#count-topics"), { timeout: 15_000 }).toMatch(/^\d/);
    expectTokenInNoUrl();
    await shot("02-overview");
  });

  it("creates a topic from the form and shows its partitions", async () => {
    await page.goto(`${url}/console/#/topics`);
    await page.fill("#new-topic", topic);
    await page.fill("#new-partitions", "2");
    await page.click("#create-topic button");
    await page.waitForURL(`**/console/#/topics/${topic}`);
    await expect.poll(() => page.locator("#partitions-table tbody tr").count(), { timeout: 15_000 }).toBe(2);
    expect(await page.textContent("#topic-name")).toBe(topic);
    expect((await call("GET", `/topics/${topic}`)).partitions).toHaveLength(2);
    await shot("03-topic");
  });

  it("edits the topic's config", async () => {
    await page.waitForSelector('#config input[data-key="retentionMs"]');
    await page.fill('#config input[data-key="retentionMs"]', "3600000");
    await page.click("#config button[type=submit]");
    await expect.poll(() => page.textContent("#config-result"), { timeout: 10_000 }).toBe("Saved: retentionMs.");
    expect((await call("GET", `/topics/${topic}`)).config.retentionMs).toBe(3_600_000);
    await shot("04-config");
  });

  it("produces a record from the form", async () => {
    await page.click("#to-messages");
    await page.waitForSelector("#produce");
    await page.fill("#produce-key", "order-1");
    await page.fill("#produce-value", '{"id": 1, "note": "<b>bold?</b><script>alert(1)</script>"}');
    await page.fill("#produce-headers", "source: console\ntrace: abc-123");
    await page.selectOption("#produce-partition", "1");
    await page.click("#produce-button");
    await expect
      .poll(() => page.textContent("#produce-result"), { timeout: 10_000 })
      .toBe("Produced to partition 1 at offset 0.");
    const fetched = await call("GET", `/topics/${topic}/partitions/1/records?offset=0`);
    expect(fetched.records[0]).toMatchObject({
      key: "order-1",
      value: { id: 1, note: "<b>bold?</b><script>alert(1)</script>" },
      headers: { source: "console", trace: "abc-123" },
    });
    await shot("05-produce");
  });

  it("finds the record in the browser with filters, as JSON, text and hex, markup shown as text", async () => {
    await call("POST", `/topics/${topic}/partitions/1/records`, {
      records: [{ key: "order-2", value: "plain text" }, { valueBase64: "AAECAwQF" }],
    });
    await page.selectOption("#browse-partition", "1");
    await page.selectOption("#browse-from", "earliest");
    await page.fill("#filter-key", "order-1");
    await page.fill("#filter-header", "trace=abc");
    await page.click("#browse-button");
    const rows = page.locator("#records-table tbody tr");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().getAttribute("data-offset")).toBe("0");
    expect(await rows.first().locator(".record-key").textContent()).toBe("order-1");
    const value = await rows.first().locator(".record-value").textContent();
    expect(JSON.parse(value ?? "")).toEqual({ id: 1, note: "<b>bold?</b><script>alert(1)</script>" });
    // The record's markup is text: no element of it made it into the page.
    expect(await page.locator("#records-table b, #records-table script").count()).toBe(0);
    await shot("06-browse-filtered");

    await page.fill("#filter-key", "");
    await page.fill("#filter-header", "");
    await page.selectOption("#browse-format", "hex");
    await page.click("#browse-button");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    expect(await rows.nth(2).locator(".record-value").textContent()).toBe("000000  00 01 02 03 04 05");
    expect(await rows.nth(1).locator(".record-value").textContent()).toBe("000000  70 6c 61 69 6e 20 74 65 78 74");
    await page.selectOption("#browse-format", "text");
    expect(await rows.nth(1).locator(".record-value").textContent()).toBe("plain text");
    await shot("07-browse-hex-text");

    // From a time: the first record at or after it (the browser's local time, to the millisecond).
    const second = (await call("GET", `/topics/${topic}/partitions/1/records?offset=1&maxRecords=1`)).records[0];
    const local = await page.evaluate((ms) => {
      const d = new Date(ms);
      const pad = (n: number, w = 2) => String(n).padStart(w, "0");
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    }, second.timestamp);
    await page.selectOption("#browse-from", "time");
    await page.fill("#browse-time", local);
    await page.click("#browse-button");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    expect(await rows.first().getAttribute("data-offset")).toBe("1");
  });

  it("shows a record produced through the API arrive in the live tail", async () => {
    await page.selectOption("#browse-partition", "1");
    await page.fill("#filter-value", "");
    await page.selectOption("#browse-format", "json");
    await page.click("#tail-button");
    await expect.poll(() => page.textContent("#tail-state"), { timeout: 15_000 }).toBe("live · partition 1");
    const { results } = await call("POST", `/topics/${topic}/partitions/1/records`, {
      records: [{ key: "tail-1", value: { live: true }, headers: { via: "api" } }],
    });
    const row = page.locator(`#tail-table tbody tr[data-offset="${results[0].offset}"]`);
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    expect(await row.locator(".record-key").textContent()).toBe("tail-1");
    expect(JSON.parse((await row.locator(".record-value").textContent()) ?? "")).toEqual({ live: true });
    expectTokenInNoUrl();
    await shot("08-live-tail");
    await page.click("#tail-button");
  });

  it("shows a group's lag, and its change after a commit made through the API", async () => {
    await call("POST", `/groups/${group}/offsets`, { offsets: [{ topic, partition: 1, offset: 1 }] });
    const before = (await call("GET", `/groups/${group}`)).totalLag;
    await page.goto(`${url}/console/#/groups/${group}`);
    const total = page.locator("#total-lag");
    await expect.poll(() => total.getAttribute("data-lag"), { timeout: 15_000 }).toBe(String(before));
    const p1 = page.locator(`#lag-table tr[data-topic="${topic}"][data-partition="1"]`);
    expect(await p1.getAttribute("data-lag")).toBe("3");
    // A consumer group, not a queue: no queue section.
    expect(await page.isHidden("#queue-section")).toBe(true);
    await shot("09-group-lag-before");

    await call("POST", `/groups/${group}/offsets`, { offsets: [{ topic, partition: 1, offset: 4 }] });
    const after = (await call("GET", `/groups/${group}`)).totalLag;
    expect(after).toBe(before - 3);
    // No reload: the page polls on its own.
    await expect.poll(() => total.getAttribute("data-lag"), { timeout: 15_000 }).toBe(String(after));
    expect(await p1.getAttribute("data-lag")).toBe("0");
    await shot("10-group-lag-after");

    // A member joins: the page shows it with the partitions it was assigned.
    const joined = await call("POST", `/groups/${group}/members`, { topics: [topic], sessionTimeoutMs: 60_000 });
    const member = page.locator(`#members-table tr[data-member="${joined.memberId}"]`);
    await expect.poll(() => member.count(), { timeout: 15_000 }).toBe(1);
    expect(await member.locator(".assigned").textContent()).toBe(`${topic}/0, ${topic}/1`);
    expect(await page.textContent("#group-summary")).toMatch(/^Stable/);
    await shot("10b-group-member");
    await call("DELETE", `/groups/${group}/members/${joined.memberId}`);
  });

  it("shows a queue's in-flight records, redeliveries and dead letters with their reasons, and redrives them", async () => {
    const jobs = unique("console-jobs");
    const queue = unique("console-queue");
    await call("POST", "/topics", { name: jobs, partitions: 1, replicationFactor: 1 });
    await call("PUT", `/groups/${queue}/queue`, { topic: jobs, maxDeliveries: 2 });
    await call("POST", `/topics/${jobs}/records`, {
      records: ["photo-1.jpg", "photo-2.jpg", "photo-3.jpg", "photo-4.jpg"].map((value) => ({ value })),
    });
    const receive = async (maxRecords: number) =>
      (await call("POST", `/groups/${queue}/receive`, { topic: jobs, maxRecords, visibilityTimeoutMs: 600_000 }))
        .records as { value: string; receipt: string }[];
    // Three delivered; one of them fails twice (the second time past maxDeliveries: a dead letter).
    const first = await receive(3);
    expect(first.map((r) => r.value)).toEqual(["photo-1.jpg", "photo-2.jpg", "photo-3.jpg"]);
    await call("POST", `/groups/${queue}/nack`, { receipts: [first[1]!.receipt], reason: "thumbnailer timed out" });
    const again = await receive(1);
    expect(again.map((r) => r.value)).toEqual(["photo-2.jpg"]);
    await call("POST", `/groups/${queue}/nack`, { receipts: [again[0]!.receipt], reason: "corrupt image" });
    await call("POST", `/groups/${queue}/ack`, { receipts: [first[0]!.receipt] });
    const stats = await call("GET", `/groups/${queue}/queue`);
    expect(stats).toMatchObject({ inFlight: 1, backlog: 1, redeliveries: 1, deadLettered: 1, acked: 1 });

    await page.goto(`${url}/console/#/groups/${queue}`);
    const value = (id: string) => page.locator(`#${id}`).getAttribute("data-value");
    await expect.poll(() => value("queue-in-flight"), { timeout: 15_000 }).toBe("1");
    expect(await page.isVisible("#queue-section")).toBe(true);
    expect(await value("queue-backlog")).toBe("1");
    expect(await value("queue-redeliveries")).toBe("1");
    expect(await value("queue-dead-lettered")).toBe("1");
    const letters = page.locator("#dead-letters-table tbody tr");
    await expect.poll(() => letters.count(), { timeout: 15_000 }).toBe(1);
    expect(await letters.first().locator(".dlq-reason").textContent()).toBe("corrupt image");
    expect(await letters.first().textContent()).toContain("photo-2.jpg");
    await shot("11-queue");

    await page.click("#redrive-button");
    await expect
      .poll(() => page.textContent("#redrive-result"), { timeout: 15_000 })
      .toMatch(/^Redrove 1 record\(s\) to /);
    // The dead letter is back in the topic: one more record to deliver.
    await expect.poll(() => value("queue-backlog"), { timeout: 15_000 }).toBe("2");
    expect((await call("GET", `/groups/${queue}/queue`)).backlog).toBe(2);
    await shot("12-queue-redriven");
  });

  it("draws the cluster's throughput from the high watermarks while records are produced", async () => {
    await page.goto(`${url}/console/#/`);
    const chart = page.locator("#throughput-chart");
    await expect.poll(() => chart.getAttribute("data-samples"), { timeout: 15_000 }).toBe("1");
    // Produce until the page has drawn a few polls and its last saw a rate above zero (bounded
    // in count and time).
    const deadline = Date.now() + 40_000;
    let rate = 0;
    let samples = 0;
    for (let i = 0; i < 80 && Date.now() < deadline && (rate === 0 || samples < 4); i++) {
      await call("POST", `/topics/${topic}/records`, {
        records: Array.from({ length: 20 + 10 * (i % 5) }, (_, n) => ({ value: { i, n } })),
      });
      rate = JSON.parse((await chart.getAttribute("data-last")) ?? "[0]")[0];
      samples = Number(await chart.getAttribute("data-samples"));
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(samples).toBeGreaterThanOrEqual(4);
    expect(rate).toBeGreaterThan(0);
    await shot("13-overview-throughput");
  });

  it("can do only what a scoped token may, and logs out when the token is revoked", async () => {
    const { id, token: readOnly } = await call("POST", "/tokens", {
      name: unique("console-read-only"),
      acls: [{ resource: "topic", pattern: topic, operations: ["read", "describe"] }],
    });
    await page.click("#logout");
    await page.fill("#token", readOnly);
    await page.click("#login button");
    await page.waitForSelector("#who:not([hidden])");
    expect(await page.textContent("#who")).toMatch(/^token console-read-only/);
    // The overview lists only the topics the token may describe.
    await expect.poll(() => page.locator("#topics-table tbody tr").count(), { timeout: 15_000 }).toBe(1);
    await page.goto(`${url}/console/#/topics/${topic}/messages`);
    await page.waitForSelector("#produce");
    await page.fill("#produce-value", '"not allowed"');
    await page.click("#produce-button");
    await expect.poll(() => page.textContent("#produce-result"), { timeout: 10_000 }).toMatch(/write/);
    expect(await page.getAttribute("#produce-result", "class")).toBe("error");
    await shot("14-read-only-token");

    await call("DELETE", `/tokens/${id}`);
    // Every worker refuses a revoked token within 5 seconds; the page's next call gets the 401.
    await page.goto(`${url}/console/#/`);
    await expect
      .poll(() => page.textContent("#login-error"), { timeout: 20_000 })
      .toMatch(/^The API refused the token/);
    expect(await stored()).toEqual({ session: null, local: null });
    expect(urls.filter((u) => u.includes(readOnly))).toEqual([]);
  });

  it("logs out, and keeps the token in localStorage only when told to remember it", async () => {
    await page.fill("#token", token);
    await page.click("#login button");
    await page.waitForSelector("#who:not([hidden])");
    expect(await stored()).toEqual({ session: token, local: null });
    await page.click("#logout");
    await page.waitForSelector("#login:not([hidden])");
    expect(await stored()).toEqual({ session: null, local: null });
    expect(await page.textContent("#login-error")).toBe("Logged out.");
    await shot("15-logged-out");

    await page.fill("#token", token);
    await page.check("#remember");
    await page.click("#login button");
    await page.waitForSelector("#who:not([hidden])");
    expect(await stored()).toEqual({ session: null, local: token });
    // Remembered: a new tab of the same profile is logged in.
    const other = await context.newPage();
    other.on("request", (r) => urls.push(r.url()));
    await other.goto(`${url}/console/`);
    await other.waitForSelector("#who:not([hidden])");
    await other.close();
    await page.click("#logout");
    expect(await stored()).toEqual({ session: null, local: null });
    expectTokenInNoUrl();
    expect(pageErrors).toEqual([]);
    // uPlot and the page run under the policy without anything blocked.
    expect(blocked).toEqual([]);
  });
});

describe("the console of the ad-click example's worker", () => {
  it("shows its stream app's tasks and counters, and answers a store query with the clicks driven", async () => {
    const adClicks = inject("adClicksUrl");
    const ad = unique("console-ad");
    await page.goto(`${adClicks}/console/`);
    await page.fill("#token", token);
    await page.click("#login button");
    await page.waitForSelector("#who:not([hidden])");
    for (let i = 0; i < 3; i++) {
      const { answers } = await clickThroughRedirect(adClicks, token, ad);
      expect(answers.every((a: { status: number }) => a.status === 302)).toBe(true);
    }

    await page.goto(`${adClicks}/console/#/apps`);
    const row = page.locator('#apps-table tr[data-app="ad-clicks"]');
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    await shot("16-apps");

    await row.locator("a").click();
    await expect.poll(() => page.locator("#tasks-table tbody tr").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await page.selectOption("#store-name", "clicks-per-minute");
    await page.fill("#store-key", ad);
    // The app counts on its own time: query until the three clicks show (bounded in count and
    // time), in one minute's window or, across a minute's edge, two.
    const counted = (text: string) => [...text.matchAll(/"count": (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const deadline = Date.now() + 45_000;
    let shown = "";
    for (let i = 0; i < 60 && Date.now() < deadline && counted(shown) < 3; i++) {
      await page.click("#store-query");
      await page.waitForSelector("#store-entries > *", { timeout: 10_000 });
      shown = (await page.textContent("#store-entries")) ?? "";
      if (counted(shown) < 3) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(shown).toContain(ad);
    expect(counted(shown)).toBe(3);
    expectTokenInNoUrl();
    await shot("17-app-store-query");
    await page.click("#logout");
    expect(pageErrors).toEqual([]);
  });
});
