/**
 * Whether tests may inject faults: the TRIBUTARY_FAULTS variable is "1" (the tests set it,
 * wrangler.toml never does; worker/test-env.d.ts declares it). The worker's test-only routes and
 * the objects' fault points (durable-objects/shared/faults.ts) ask this one question.
 */
export function faultsEnabled(env: { TRIBUTARY_FAULTS?: string }): boolean {
  return env.TRIBUTARY_FAULTS === "1";
}
