// Serves the browser example: index.html and page.ts, bundled for the browser with esbuild
// (the SDK and zod included), on http://127.0.0.1:5173 by default. `npm run example:browser`
// runs it; the end-to-end browser test (test/e2e/browser.test.ts) serves it on a free port.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));

/** The page's script as the browser loads it. */
export async function bundlePage() {
  const result = await build({
    entryPoints: [join(HERE, "page.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
  });
  return result.outputFiles[0].text;
}

/**
 * Serves the page until `close()`.
 * @param {{ port?: number, host?: string }} [options]
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function servePage(options = {}) {
  const host = options.host ?? "127.0.0.1";
  const [html, script] = await Promise.all([readFile(join(HERE, "index.html"), "utf8"), bundlePage()]);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    if (path === "/" || path === "/index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    } else if (path === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(script);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 5173, host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await servePage();
  console.log(`the browser example is on ${url} (Ctrl-C stops it)`);
}
