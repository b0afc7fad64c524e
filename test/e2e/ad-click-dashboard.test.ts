// The dashboard in a real browser (headless Chromium through playwright-core): it loads, clicks
// are driven through the redirect endpoint, and the chart's numbers change, without a reload,
// to the values the verifier confirms the aggregator holds.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createExpectedCounts } from "../../examples/ad-click-aggregator/clicks.mjs";
import { awayFromMinuteEdge, clickThroughRedirect } from "../../examples/ad-click-aggregator/driver.mjs";
import { verify } from "../../examples/ad-click-aggregator/verify.mjs";

const CHROMIUM = "/usr/bin/chromium";

let browser: Browser;
beforeAll(async () => {
  // A missing browser fails the suite (a skipped test checks nothing): .ci/run installs it.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // This machine has no internet: no background connections to time out on.
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe("the ad-click dashboard in a browser", () => {
  it("shows the clicks driven at an ad, updating live to the verified counts", async () => {
    const url = inject("adClicksUrl");
    const token = inject("token");
    const prefix = `dash${Date.now().toString(36)}`;
    const ad = `${prefix}-1`;
    const page = await browser.newPage();
    try {
      await page.goto(`${url}/dashboard?ad=${ad}&minutes=5`);
      // The counts are business data: the page asks for a token first, and keeps it out of the URL.
      await expect.poll(() => page.isVisible("#login"), { timeout: 15_000 }).toBe(true);
      await page.fill("#token", token);
      await page.click("#login button");
      await expect.poll(() => page.textContent("#status"), { timeout: 15_000 }).toMatch(/^updated/);
      expect(page.url()).not.toContain(token);
      // Clicks are timed by the server: keep them all in one minute, with room for a slow machine
      // (the login above may take seconds, so the minute is taken only now).
      const minute = await awayFromMinuteEdge(10_000);
      const bar = page.locator(`g.minute[data-minute="${minute}"]`);
      // The page polls on its own: a minute that began after its last poll shows at its next one.
      await expect.poll(() => bar.getAttribute("data-count"), { timeout: 15_000 }).toBe("0");
      expect(await page.textContent("#scope")).toBe(`Ad ${ad}`);

      // Seven impressions, two of them clicked twice: seven clicks count.
      const expected = createExpectedCounts();
      for (let i = 0; i < 7; i++) {
        const t = Date.now();
        const { nonce, answers } = await clickThroughRedirect(url, token, ad, { repeat: i % 3 === 0 && i > 0 ? 1 : 0 });
        expect(answers.every((a) => a.status === 302)).toBe(true);
        expected.add({ ad, imp: nonce, t, seenAt: t });
      }
      expect(expected.counts.minute[ad]).toEqual({ [minute]: 7 });

      // The verifier's check of the advertiser API, then the page, which polls on its own.
      await expect
        .poll(async () => (await verify(url, token, { prefix, ...expected.counts }, 10)).lines, { timeout: 30_000 })
        .toEqual([]);
      // Read in one go, as one rendering shows them.
      const shown = () =>
        page.evaluate((m) => {
          const g = document.querySelector(`g.minute[data-minute="${m}"]`);
          const text = (id: string) => document.getElementById(id)?.textContent;
          return {
            bar: g?.getAttribute("data-count"),
            label: g?.querySelector("text.count")?.textContent,
            minute: text("current-minute"),
            shown: text("shown-total"),
            hour: text("current-hour"),
          };
        }, minute);
      const hourCount = Object.values(expected.counts.hour[ad]!)[0];
      await expect
        .poll(shown, { timeout: 15_000 })
        .toEqual({ bar: "7", label: "7", minute: "7", shown: "7", hour: String(hourCount) });
    } finally {
      await page.close();
    }
  });
});
