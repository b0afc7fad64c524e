// Time-series charts with uPlot (served from this worker: /console/vendor/uplot.js, copied
// from node_modules by scripts/build-console.mjs). A chart keeps the last `points` samples.
import uPlot from "../vendor/uplot.js";

const COLORS = ["#f38020", "#1f5fbf", "#1e7b34", "#8e44ad", "#b3261e", "#0f8b8d", "#7f8c8d", "#d35400"];

/**
 * A line chart of `series` (their names) over time, in `el`, sized to it; the series named
 * `right` gets an axis of its own on the right. `push(seconds,
 * values)` adds a sample (one value per series); `rename(series)` changes the lines when their
 * set changes (clearing the samples).
 */
/**
 * @param {HTMLElement} el
 * @param {{ title: string, series: string[], unit?: string, right?: string, points?: number, height?: number }} options
 */
export function timeChart(el, { title, series, unit = "", right = undefined, points = 120, height = 200 }) {
  let names = series;
  /** @type {number[][]} */
  let data = [[], ...names.map(() => [])];
  let plot;
  const make = () => {
    plot?.destroy();
    /** @type {import("../vendor/uplot.js").Options} */
    const opts = {
      title,
      width: Math.max(300, el.clientWidth || 600),
      height,
      series: [
        {},
        ...names.map((label, i) => ({
          label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          scale: label === right ? "right" : "y",
        })),
      ],
      axes: [
        {},
        { label: unit, size: 60, scale: "y" },
        right && { label: right, size: 60, scale: "right", side: 1, grid: { show: false } },
      ].filter(Boolean),
      // One sample has no range of its own (uPlot would span ~1000 days after it): show the minute before it.
      scales: {
        x: {
          time: true,
          range: (u, min, max) =>
            /** @type {[number, number]} */ (u.data[0].length === 1 ? [min - 60, min + 1] : [min, max]),
        },
      },
      legend: { show: true },
    };
    plot = new uPlot(opts, /** @type {any} */ (data), el);
  };
  make();
  const resize = () => plot.setSize({ width: Math.max(300, el.clientWidth || 600), height });
  window.addEventListener("resize", resize);
  return {
    push(t, values) {
      data[0].push(t);
      values.forEach((v, i) => {
        data[i + 1].push(v);
      });
      if (data[0].length > points) data = data.map((s) => s.slice(-points));
      plot.setData(/** @type {any} */ (data));
      el.dataset.samples = String(data[0].length);
      el.dataset.last = JSON.stringify(values);
    },
    rename(series) {
      if (series.length === names.length && series.every((s, i) => s === names[i])) return;
      names = series;
      data = [[], ...names.map(() => [])];
      make();
    },
    destroy() {
      window.removeEventListener("resize", resize);
      plot.destroy();
    },
  };
}
