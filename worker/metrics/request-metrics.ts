/**
 * What this isolate has served: requests by route pattern, method and status, their latency as
 * a histogram, and errors by code. Kept in memory, per isolate (a Worker runs in many isolates,
 * each with its own, gone when it is evicted), so every series carries the isolate's id: a
 * scrape reaches one isolate, and sums over `isolate` are only what the isolates scraped hold.
 * Workers Analytics Engine counts across all of them (docs/metrics.md).
 */
import type { HistogramValue } from "./exposition.ts";

/** Upper bounds of the latency histogram, in seconds (long polls wait up to 30 s). */
export const LATENCY_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** Route patterns kept apart, at most: past it, new ones count under "other" (routes are few; this bounds a bug). */
const MAX_ROUTES = 500;

export interface RequestKey {
  method: string;
  route: string;
}

interface RouteState {
  method: string;
  route: string;
  byStatus: Map<number, number>;
  latency: { buckets: number[]; sum: number; count: number };
}

export class RequestMetrics {
  private id: string | undefined;
  private started: number | undefined;
  private readonly routes = new Map<string, RouteState>();
  private readonly errors = new Map<string, number>();

  /**
   * This isolate's id, a label of every series. Made at the first request: Workers allow no
   * random values (and no clock) in the global scope, where the registry is created.
   */
  get isolate(): string {
    this.id ??= crypto.randomUUID().slice(0, 8);
    return this.id;
  }

  /** When the first request was counted (ms since the epoch): the counts run from then. */
  get startedAt(): number {
    this.started ??= Date.now();
    return this.started;
  }

  /** Counts one request served, with its status and how long it took. */
  observe({ method, route }: RequestKey, status: number, seconds: number): void {
    this.started ??= Date.now();
    let key = `${method} ${route}`;
    if (!this.routes.has(key) && this.routes.size >= MAX_ROUTES) {
      key = `${method} other`;
      route = "other";
    }
    let state = this.routes.get(key);
    if (!state) {
      state = {
        method,
        route,
        byStatus: new Map(),
        latency: { buckets: LATENCY_BOUNDS.map(() => 0), sum: 0, count: 0 },
      };
      this.routes.set(key, state);
    }
    state.byStatus.set(status, (state.byStatus.get(status) ?? 0) + 1);
    const bucket = LATENCY_BOUNDS.findIndex((b) => seconds <= b);
    if (bucket !== -1) state.latency.buckets[bucket]!++;
    state.latency.sum += seconds;
    state.latency.count++;
  }

  /** Counts an error answered, by its code in the error table. */
  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  requests(): { method: string; route: string; status: number; count: number }[] {
    return [...this.routes.values()].flatMap((r) =>
      [...r.byStatus].map(([status, count]) => ({ method: r.method, route: r.route, status, count })),
    );
  }

  latencies(): { method: string; route: string; histogram: HistogramValue }[] {
    return [...this.routes.values()].map((r) => ({
      method: r.method,
      route: r.route,
      histogram: { bounds: LATENCY_BOUNDS, ...r.latency },
    }));
  }

  errorCounts(): { code: string; count: number }[] {
    return [...this.errors].map(([code, count]) => ({ code, count }));
  }
}

/** The isolate's one registry. */
export const requestMetrics = new RequestMetrics();
