#!/usr/bin/env node
// The `tributary` command (cli/main.ts). Its code is TypeScript: Node runs it through tsx's
// loader; Bun and Deno run TypeScript themselves.
if (!globalThis.Bun && !globalThis.Deno) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import("../cli/main.ts");
