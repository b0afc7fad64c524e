#!/usr/bin/env node
// The console's one build step: copies uPlot's browser build (installed from npm, pinned in
// package.json) next to the page, so the worker serves it from its own origin (no CDN). The
// rest of public/console is served as written. wrangler.toml's [build] runs this before every
// `wrangler dev`, `wrangler deploy` and `wrangler types` (so before `npm start` and the
// end-to-end tests), and `npm run typecheck` before it checks the page; `npm run build:console`
// runs it by hand.
// A file is written only when it changed, so wrangler's asset watcher does not loop.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "node_modules/uplot/dist");
const to = join(root, "public/console/vendor");
// The types beside the module are for the page's type check (public/console/tsconfig.json); they
// are not served (public/.assetsignore).
const files = {
  "uPlot.esm.js": "uplot.js",
  "uPlot.d.ts": "uplot.d.ts",
  "uPlot.min.css": "uplot.css",
  "../LICENSE": "uplot.LICENSE",
};

mkdirSync(to, { recursive: true });
for (const [source, target] of Object.entries(files)) {
  const text = readFileSync(join(from, source));
  const path = join(to, target);
  let old;
  try {
    old = readFileSync(path);
  } catch {
    old = undefined;
  }
  if (!old?.equals(text)) writeFileSync(path, text);
}
