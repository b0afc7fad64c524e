// Runs the scenario (scenario.ts) from a shell, for Deno and Bun: its input as JSON in the
// SCENARIO variable, its summary as one JSON line on stdout; on failure a message on stderr
// and exit code 1.
import { runScenario } from "./scenario.ts";

interface Runtime {
  env(name: string): string | undefined;
  exit(code: number): never;
  name: string;
  version: string;
}

const g = globalThis as unknown as {
  Deno?: { env: { get(n: string): string | undefined }; exit(c: number): never; version: { deno: string } };
  Bun?: { version: string };
  process: { env: Record<string, string | undefined>; exit(c: number): never };
};
const runtime: Runtime = g.Deno
  ? { env: (n) => g.Deno!.env.get(n), exit: (c) => g.Deno!.exit(c), name: "deno", version: g.Deno.version.deno }
  : {
      env: (n) => g.process.env[n],
      exit: (c) => g.process.exit(c),
      name: g.Bun ? "bun" : "node",
      version: g.Bun?.version ?? "",
    };

try {
  const input = JSON.parse(runtime.env("SCENARIO") ?? "");
  const summary = await runScenario(input);
  console.log(JSON.stringify({ runtime: runtime.name, version: runtime.version, ...summary }));
} catch (err) {
  console.error(`the SDK scenario failed on ${runtime.name}: ${err instanceof Error ? err.message : String(err)}`);
  runtime.exit(1);
}
