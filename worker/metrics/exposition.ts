/**
 * Prometheus's text exposition format (version 0.0.4), written by hand: the well-kept client,
 * prom-client, needs Node's built-in modules, which this worker does not enable
 * (docs/dependencies.md). Each family is written whole (HELP, TYPE, then its samples), label
 * values and help texts escaped as the format says. The metrics test reads the output back with
 * an independent parser.
 */

export type MetricType = "counter" | "gauge" | "histogram";
export type Labels = Readonly<Record<string, string | number>>;

/** The content type Prometheus asks for and expects. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format writes it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A help text as the format writes it: backslash and line feed escaped. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: Go's float syntax, with the format's spellings of infinity and NaN. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => {
    if (!LABEL_NAME.test(k) || k.startsWith("__")) throw new Error(`'${k}' is not a valid label name`);
    return `${k}="${escapeLabelValue(String(v))}"`;
  });
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/** One histogram's state: cumulative counts per upper bound, their sum and count. */
export interface HistogramValue {
  /** The upper bounds, ascending, without +Inf. */
  bounds: readonly number[];
  /** Observations at or below each bound (not yet cumulative: one count per bucket). */
  buckets: readonly number[];
  sum: number;
  count: number;
}

/** Builds an exposition, one family at a time. */
export class Exposition {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();

  /** Starts a family: its HELP and TYPE lines. Its samples must follow before the next family. */
  family(name: string, type: MetricType, help: string): this {
    if (!METRIC_NAME.test(name)) throw new Error(`'${name}' is not a valid metric name`);
    if (this.seen.has(name)) throw new Error(`the metric family '${name}' was written twice`);
    this.seen.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  /** A histogram's samples: `_bucket` per bound (cumulative) and +Inf, `_sum` and `_count`. */
  histogram(name: string, labels: Labels, h: HistogramValue): this {
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.buckets[i] ?? 0;
      this.sample(`${name}_bucket`, { ...labels, le: formatValue(bound) }, cumulative);
    });
    this.sample(`${name}_bucket`, { ...labels, le: "+Inf" }, h.count);
    this.sample(`${name}_sum`, labels, h.sum);
    return this.sample(`${name}_count`, labels, h.count);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
