// Runs a script of the repository in a child Node, as a user would from its root: the exit code
// and everything it printed. Killed after `timeoutMs` (then the code is null).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./local-worker.mjs";

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runNode(script: string, args: string[], timeoutMs = 90_000): Promise<NodeRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
