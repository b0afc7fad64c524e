// Closed-loop HTTP load: `connections` keep-alive sockets, each sending its next request as soon
// as the previous answer has been read in full. Bounded by time and by request count.
import http from "node:http";

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * @typedef {{ method: string, path: string, body?: Buffer, headers?: Record<string, string> }} Request
 * @typedef {{ status: number, tail: string }} Answer
 * @typedef {{
 *   requests: number, items: number, errors: number, firstError?: string, elapsedMs: number,
 *   latencyMs: { p50: number, p99: number, max: number },
 * }} LoadResult
 */

/** @param {string} baseUrl */
export function createClient(baseUrl, connections = 16) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });

  /**
   * One request. The answer keeps only the last bytes of the body (where a fetch answer says
   * its nextOffset), so reading large answers costs the load generator little.
   * @param {Request} req
   * @returns {Promise<Answer>}
   */
  function send(req) {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      if (req.body) headers["content-length"] = String(req.body.length);
      const r = http.request(
        { agent, host: url.hostname, port: url.port, method: req.method, path: req.path, headers },
        (res) => {
          let tail = Buffer.alloc(0);
          res.on("data", (/** @type {Buffer} */ chunk) => {
            tail = chunk.length >= 512 ? chunk : Buffer.concat([tail, chunk]);
            if (tail.length > 4096) tail = tail.subarray(tail.length - 4096);
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, tail: tail.toString("latin1") }));
          res.on("error", reject);
        },
      );
      r.setTimeout(REQUEST_TIMEOUT_MS, () => r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      r.on("error", reject);
      r.end(req.body);
    });
  }

  /** Sends one JSON request and parses the whole answer (for setup, not for measuring). */
  async function json(
    /** @type {string} */ method,
    /** @type {string} */ path,
    /** @type {unknown} */ body,
    token = "",
  ) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(new URL(path, url), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text);
  }

  /**
   * Runs a closed loop. `next(connection)` gives a connection's next request; `count(answer,
   * request)` says how many items (records, requests) a successful answer carries.
   * @param {{
   *   connections?: number, durationMs: number, maxRequests: number,
   *   next: (connection: number) => Request,
   *   count: (answer: Answer, request: Request, connection: number) => number,
   * }} options
   * @returns {Promise<LoadResult>}
   */
  async function run(options) {
    const n = options.connections ?? connections;
    const latencies = [];
    let requests = 0;
    let items = 0;
    let errors = 0;
    /** @type {string | undefined} */
    let firstError;
    const start = performance.now();
    const deadline = start + options.durationMs;
    const loop = async (/** @type {number} */ c) => {
      while (performance.now() < deadline && requests < options.maxRequests) {
        requests++;
        const req = options.next(c);
        const sent = performance.now();
        try {
          const answer = await send(req);
          latencies.push(performance.now() - sent);
          if (answer.status >= 200 && answer.status < 300) {
            items += options.count(answer, req, c);
          } else {
            errors++;
            firstError ??= `${req.method} ${req.path} answered ${answer.status}: ${answer.tail.slice(-300)}`;
          }
        } catch (err) {
          errors++;
          firstError ??= `${req.method} ${req.path} failed: ${/** @type {Error} */ (err).message}`;
        }
      }
    };
    await Promise.all(Array.from({ length: n }, (_, c) => loop(c)));
    const elapsedMs = performance.now() - start;
    latencies.sort((a, b) => a - b);
    const at = (/** @type {number} */ q) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return { requests, items, errors, firstError, elapsedMs, latencyMs: { p50: at(0.5), p99: at(0.99), max: at(1) } };
  }

  return { send, json, run, close: () => agent.destroy() };
}
