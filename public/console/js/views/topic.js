// One topic: its partitions (log start, high watermark, bytes; leader, epoch, replicas and ISR
// when replicated), its throughput per partition, and its config, editable (PATCH).
import { api, p } from "../api.js";
import { timeChart } from "../chart.js";
import { fmtBytes, fmtTime, h, link, num, say, seg, table } from "../dom.js";
import { rates } from "../rates.js";

/** Config keys shown in this order; any others the API answers follow. */
const CONFIG_ORDER = [
  "retentionMs",
  "retentionBytes",
  "cleanupPolicy",
  "maxMessageBytes",
  "minInsyncReplicas",
  "deleteRetentionMs",
  "minCompactionLagMs",
  "maxCompactionLagMs",
  "localRetentionMs",
  "localRetentionBytes",
  "produceRecordsPerSecond",
  "produceBytesPerSecond",
  "replicaLagTimeMs",
];

export async function topicView(root, [name], ctx) {
  const partsEl = h("div");
  const summary = h("p", { class: "muted" });
  const chartEl = h("div", { class: "chart", id: "partition-chart" });
  const configEl = h("form", { id: "config" });
  const configMessage = h("p", { id: "config-result" });
  const morePartitions = h("input", { id: "partition-count", type: "number", min: 1, max: 1024 });
  const partsMessage = h("p");
  root.append(
    h("h1", null, "Topic ", h("span", { class: "mono", id: "topic-name" }, name)),
    summary,
    h("p", null, link(`#/topics/${seg(name)}/messages`, "Browse and produce messages →", { id: "to-messages" })),
    h("section", null, h("h2", null, "Partitions"), partsEl),
    h("section", null, h("h2", null, "Throughput"), chartEl),
    h(
      "section",
      null,
      h("h2", null, "Config"),
      configEl,
      configMessage,
      h(
        "form",
        {
          class: "row",
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              const t = await api(p("topics", name), {
                method: "PATCH",
                body: { partitions: Number(morePartitions.value) },
              });
              say(partsMessage, `The topic has ${t.partitions.length} partitions.`, true);
            } catch (err) {
              say(partsMessage, err);
            }
          },
        },
        h("label", null, "partitions (only up)", morePartitions),
        h("button", { type: "submit" }, "Add partitions"),
      ),
      partsMessage,
    ),
  );

  const first = await api(p("topics", name), { signal: ctx.signal });
  morePartitions.value = String(first.partitions.length);
  renderConfig(configEl, configMessage, name, first.config);

  const chart = timeChart(chartEl, { title: "records/s per partition", series: [], unit: "records/s" });
  ctx.signal.addEventListener("abort", () => chart.destroy());
  const rate = rates();
  await ctx.every(3000, async () => {
    const t = await api(p("topics", name), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    summary.textContent = `id ${t.id} · ${t.partitions.length} partition(s) · replication factor ${t.replicationFactor} · created ${fmtTime(t.createdAt)} UTC`;
    const replicated = t.partitions.some((x) => x.leader !== undefined);
    const cols = ["partition#", "log start#", "high watermark#", "records#", "bytes#"];
    if (replicated) cols.push("leader#", "epoch#", "replicas", "ISR");
    partsEl.replaceChildren(
      table(
        cols,
        t.partitions.map((x) =>
          h(
            "tr",
            { "data-partition": x.partition, "data-high-watermark": x.highWatermark },
            num(x.partition),
            num(x.logStartOffset),
            num(x.highWatermark),
            num(x.highWatermark - x.logStartOffset),
            h("td", { class: "n" }, fmtBytes(x.bytes)),
            replicated && [
              num(x.leader),
              num(x.leaderEpoch),
              h("td", null, (x.replicas ?? []).join(", ")),
              h("td", null, (x.isr ?? []).join(", ")),
            ],
          ),
        ),
        { id: "partitions-table" },
      ),
    );
    chart.rename(t.partitions.map((x) => `p${x.partition}`));
    const now = Date.now();
    chart.push(
      now / 1000,
      t.partitions.map((x) => rate(x.partition, x.highWatermark, now)),
    );
  });
}

/** The config as inputs; Save sends only the fields that changed. */
function renderConfig(form, message, name, config) {
  const keys = [
    ...CONFIG_ORDER.filter((k) => k in config),
    ...Object.keys(config).filter((k) => !CONFIG_ORDER.includes(k)),
  ];
  const inputs = new Map();
  const grid = h("div", { class: "config-grid" });
  for (const key of keys) {
    const value = config[key];
    let input;
    if (key === "cleanupPolicy") {
      input = h(
        "select",
        { "data-key": key },
        ["delete", "compact", "compact,delete"].map((v) => h("option", { value: v, selected: v === value }, v)),
      );
    } else {
      input = h("input", { "data-key": key, value: typeof value === "object" ? JSON.stringify(value) : String(value) });
    }
    input.addEventListener("input", () => input.classList.toggle("changed", input.value !== String(config[key])));
    inputs.set(key, input);
    grid.append(h("label", null, key, input));
  }
  form.replaceChildren(
    grid,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Save config")),
  );
  form.onsubmit = async (event) => {
    event.preventDefault();
    const changed = {};
    for (const [key, input] of inputs) {
      if (input.value === String(config[key])) continue;
      changed[key] = typeof config[key] === "number" ? Number(input.value) : input.value;
    }
    if (Object.keys(changed).length === 0) return say(message, "Nothing changed.", true);
    try {
      const t = await api(p("topics", name), { method: "PATCH", body: { config: changed } });
      say(message, `Saved: ${Object.keys(changed).join(", ")}.`, true);
      renderConfig(form, message, name, t.config);
    } catch (err) {
      say(message, err);
    }
  };
}
