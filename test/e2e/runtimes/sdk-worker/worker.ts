/**
 * The SDK inside a Worker: `POST /run` with the scenario's input (scenario.ts) runs it against
 * the platform over HTTP and answers its summary, or 500 with what went wrong (and /healthz
 * answers, for the test's startLocalWorker). Workers' own
 * WebSocket client carries the consumer's push (the token goes in the subscribe URL there).
 */
import { runScenario } from "../scenario.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    // What test/helpers/local-worker.mjs waits for.
    if (path === "/healthz") return Response.json({ ok: true });
    if (request.method !== "POST" || path !== "/run") {
      return new Response("POST /run with the scenario's input", { status: 404 });
    }
    try {
      const summary = await runScenario(await request.json());
      return Response.json({ runtime: "workerd", version: navigator.userAgent, ...summary });
    } catch (err) {
      return Response.json({ error: err instanceof Error ? err.message : String(err) }, { status: 500 });
    }
  },
};
