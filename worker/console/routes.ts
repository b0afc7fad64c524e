/**
 * The web console (docs/console.md): the static page of public/console, served at /console
 * from the deployment's Workers Static Assets (the ASSETS binding) with a strict
 * Content-Security-Policy. The page itself holds no data and needs no token: it asks for one
 * and sends it, in the Authorization header only, to the /v1 API, which checks every call.
 */
import { Hono } from "hono";
import { ApiError } from "../errors.ts";

/**
 * Only the console's own files, no inline script or style, no other origin, no framing, no
 * form posting anywhere (a form whose script failed to load cannot send the token off as a
 * query). `connect-src 'self'` is the API on the same origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** The ASSETS binding, where the deployment has one (the examples' workers may not). */
function assetsOf(env: Env): Fetcher | undefined {
  return (env as { ASSETS?: Fetcher }).ASSETS;
}

export const consoleRoutes = new Hono<{ Bindings: Env }>()
  .get("/", (c) => c.redirect("/console/", 302))
  .get("/*", async (c) => {
    const assets = assetsOf(c.env);
    if (!assets) {
      throw new ApiError(
        "NOT_FOUND",
        "this deployment serves no console: add [assets] (directory of public/, binding ASSETS) to its wrangler config, as the root wrangler.toml does",
      );
    }
    // The asset server never sees the caller's headers but the ones that choose a file.
    const url = new URL(c.req.url);
    const headers = new Headers();
    for (const name of ["accept", "accept-encoding", "if-none-match", "range"]) {
      const value = c.req.header(name);
      if (value) headers.set(name, value);
    }
    const answer = await assets.fetch(new Request(url, { headers }));
    if (answer.status === 404) {
      throw new ApiError("NOT_FOUND", `the console has no file ${url.pathname}; its pages start at /console/`);
    }
    const response = new Response(answer.body, answer);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
    return response;
  });
