// The web console's page (worker/console/routes.ts) inside workerd, from the ASSETS binding of
// the root wrangler.toml: served without a token under a strict Content-Security-Policy, while
// the API it calls still asks for one.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`http://tributary.test${path}`, { headers, redirect: "manual" }));

describe("the console's page", () => {
  it("serves /console/ without a token, with a CSP that allows no inline script and no other origin", async () => {
    const res = await get("/console/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp.split("; ")).toEqual(
      expect.arrayContaining(["default-src 'none'", "script-src 'self'", "connect-src 'self'", "form-action 'none'"]),
    );
    expect(csp).not.toContain("unsafe");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="js/main.js"></script>');
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
  });

  it("serves the page's modules with the same headers", async () => {
    const res = await get("/console/js/main.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("javascript");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("redirects /console to /console/ and answers a missing file with the error envelope", async () => {
    const bare = await get("/console");
    expect(bare.status).toBe(302);
    expect(bare.headers.get("location")).toBe("/console/");
    const missing = await get("/console/nope.js");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("does not let the page's caller past the API's token check", async () => {
    const res = await get("/v1/topics", { referer: "http://tributary.test/console/" });
    expect(res.status).toBe(401);
  });
});
