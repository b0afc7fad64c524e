// The layers import one way (docs/architecture.md): the worker and the objects use cluster/;
// objects never import the HTTP layer; the worker reaches the object classes only through its
// composition root; examples use only what package.json exports. Read from the files themselves.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) continue;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|mjs|js|tsx)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, resolved against the repository root when relative. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;"'`]*?from\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  specs.push(...[...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!));
  return specs.map((s) => (s.startsWith(".") ? relative(ROOT, join(ROOT, file, "..", s)) : s));
}

function offenders(dir: string, forbidden: (spec: string, file: string) => boolean): string[] {
  return sources(dir).flatMap((file) =>
    imports(file)
      .filter((s) => forbidden(s, file))
      .map((s) => `${file} → ${s}`),
  );
}

describe("layers", () => {
  it("finds the imports it checks (the scan is not empty)", () => {
    expect(imports("worker/tributary.ts")).toContain("durable-objects/controller/controller.ts");
    expect(sources("durable-objects").length).toBeGreaterThan(20);
  });

  it("objects never import the HTTP layer", () => {
    expect(offenders("durable-objects", (s) => s.startsWith("worker/"))).toEqual([]);
  });

  it("the cluster layer imports neither the HTTP layer nor the objects", () => {
    expect(offenders("cluster", (s) => s.startsWith("worker/") || s.startsWith("durable-objects/"))).toEqual([]);
  });

  it("the worker reaches the object classes only through its composition root", () => {
    expect(
      offenders("worker", (s, file) => s.startsWith("durable-objects/") && file !== "worker/tributary.ts"),
    ).toEqual([]);
  });

  it("the SDK imports none of the platform's layers", () => {
    expect(offenders("sdk", (s) => /^(worker|cluster|durable-objects|gateway)\//.test(s))).toEqual([]);
  });

  it("examples import only what package.json exports", () => {
    const exported = Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).exports).map(
      (k: string) => `tributary${k.slice(1)}`,
    );
    const internal = /^(worker|cluster|durable-objects|sdk|gateway|cli)\//;
    expect(
      offenders("examples", (s) => internal.test(s) || (s.startsWith("tributary") && !exported.includes(s))),
    ).toEqual([]);
  });
});
