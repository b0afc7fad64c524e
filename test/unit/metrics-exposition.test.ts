import { describe, expect, it } from "vitest";
import { Exposition, escapeLabelValue } from "../../worker/metrics/exposition.ts";
import { histogramSeries, parsePrometheus, samples, total } from "../helpers/prometheus.ts";

describe("the Prometheus exposition", () => {
  it("escapes label values and help so a real parser reads back what was written", () => {
    const awkward = 'a "quoted" back\\slash\nand a new line, {braces}=, and ünïcødé';
    const text = new Exposition()
      .family("t_total", "counter", "help with a \\ and a\nnew line")
      .sample("t_total", { name: awkward, other: "plain" }, 3)
      .text();
    expect(text).toContain(`name="${escapeLabelValue(awkward)}"`);
    expect(text.split("\n").filter(Boolean)).toHaveLength(3);
    const [family] = parsePrometheus(text);
    expect(family).toMatchObject({ name: "t_total", type: "COUNTER", help: "help with a \\ and a\nnew line" });
    expect(family!.metrics).toEqual([{ labels: { name: awkward, other: "plain" }, value: "3" }]);
  });

  it("writes histograms with cumulative buckets, +Inf, sum and count", () => {
    const text = new Exposition()
      .family("lat_seconds", "histogram", "latency")
      .histogram(
        "lat_seconds",
        { route: "/v1/topics/:topic" },
        { bounds: [0.1, 1], buckets: [2, 3], sum: 4.5, count: 6 },
      )
      .text();
    const [family] = parsePrometheus(text);
    expect(family).toMatchObject({ name: "lat_seconds", type: "HISTOGRAM" });
    expect(family!.metrics[0]!.buckets).toEqual({ "0.1": "2", "1": "5", "+Inf": "6" });
    const series = histogramSeries(text);
    const bucket = (le: string) => total(series, "lat_seconds_bucket", { route: "/v1/topics/:topic", le });
    expect([bucket("0.1"), bucket("1"), bucket("+Inf")]).toEqual([2, 5, 6]);
    expect(samples(series, "lat_seconds_sum")).toEqual([{ labels: { route: "/v1/topics/:topic" }, value: "4.5" }]);
    expect(total(series, "lat_seconds_count", { route: "/v1/topics/:topic" })).toBe(6);
  });

  it("writes NaN and infinities as the format spells them", () => {
    const text = new Exposition()
      .family("g", "gauge", "g")
      .sample("g", { k: "nan" }, Number.NaN)
      .sample("g", { k: "inf" }, Number.POSITIVE_INFINITY)
      .text();
    expect(text).toBe('# HELP g g\n# TYPE g gauge\ng{k="nan"} NaN\ng{k="inf"} +Inf\n');
  });

  it("refuses invalid metric and label names and a family written twice", () => {
    expect(() => new Exposition().family("1bad", "gauge", "x")).toThrow(/not a valid metric name/);
    expect(() => new Exposition().family("g", "gauge", "x").sample("g", { "bad-label": 1 }, 1)).toThrow(/label name/);
    expect(() => new Exposition().family("g", "gauge", "x").family("g", "gauge", "x")).toThrow(/twice/);
  });
});
