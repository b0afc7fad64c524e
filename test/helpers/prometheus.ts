// Reads Prometheus's text format back with an independent parser (parse-prometheus-text-format,
// a port of the Prometheus Python client's parser), for the tests of /metrics.
// @ts-expect-error: the package ships no types; its one function is typed here.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface ParsedSample {
  labels?: Record<string, string>;
  value?: string;
  /** Histograms: cumulative counts by upper bound ("+Inf" included), the sum and the count. */
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: ParsedSample[];
}

const parse = parsePrometheusTextFormat as (text: string) => ParsedFamily[];

/** Every family, as the parser reads them (a histogram's series merged: see histogramSeries). */
export function parsePrometheus(text: string): ParsedFamily[] {
  return parse(text);
}

/**
 * The families with each histogram's `_bucket`, `_sum` and `_count` read as series of their
 * own, labels kept. The parser merges the series of a labelled histogram into one and drops
 * their sums and counts (its open issue #13), so their HELP and TYPE lines are left out here.
 */
export function histogramSeries(text: string): ParsedFamily[] {
  const histograms = new Set([...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]!));
  const kept = text.split("\n").filter((line) => {
    const meta = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    return !meta || !histograms.has(meta[1]!);
  });
  return parse(kept.join("\n"));
}

/** The samples of one family whose labels include `match`. */
export function samples(families: ParsedFamily[], name: string, match: Record<string, string> = {}): ParsedSample[] {
  // histogramSeries' families repeat a name, once per series.
  const named = families.filter((f) => f.name === name);
  if (named.length === 0) throw new Error(`no metric family ${name} in the exposition`);
  return named.flatMap((f) => f.metrics).filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v));
}

/** The sum of the values of those samples (0 when there are none). */
export function total(families: ParsedFamily[], name: string, match: Record<string, string> = {}): number {
  return samples(families, name, match).reduce((n, s) => n + Number(s.value ?? s.count ?? 0), 0);
}
