// Runs the deno binary of the npm package `deno` (a dev dependency) from the project root.
// Plain JavaScript, like test/helpers/local-worker.mjs, so the Node APIs it uses need no
// Node type definitions in the TypeScript project.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../helpers/local-worker.mjs";

/** The deno binary npm installed. */
export const DENO = join(ROOT, "node_modules/.bin/deno");

/** Whether the deno binary is installed. */
export function denoInstalled() {
  return existsSync(DENO);
}

/**
 * Runs `deno ...args` in the project root with `env` added to this process's environment.
 * @param {string[]} args
 * @param {Record<string, string>} env
 * @param {number} [timeoutMs]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function runDeno(args, env, timeoutMs = 90_000) {
  return new Promise((done) => {
    execFile(
      DENO,
      args,
      {
        cwd: ROOT,
        timeout: timeoutMs,
        env: { ...process.env, ...env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
