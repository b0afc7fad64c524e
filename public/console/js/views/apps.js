// Stream apps: the list, and one app's tasks (sources and lag, counters, last errors), its
// topology's stores, and a form that queries a store (GET /v1/apps/:app/stores/:store).
import { api, p } from "../api.js";
import { timeChart } from "../chart.js";
import { fmtInt, fmtTime, h, link, num, say, seg, table } from "../dom.js";

export async function appsView(root, _params, ctx) {
  const list = h("div");
  root.append(h("h1", null, "Stream apps"), h("section", null, list));
  await ctx.every(5000, async () => {
    const { apps } = await api("/apps", { signal: ctx.signal });
    list.replaceChildren(
      apps.length
        ? table(
            ["app", "state", "tasks#", "reason"],
            apps.map((a) =>
              h(
                "tr",
                { "data-app": a.name },
                h("td", null, link(`#/apps/${seg(a.name)}`, a.name)),
                h("td", null, h("span", { class: `badge ${a.state}` }, a.state)),
                num(a.tasks),
                h("td", { class: "error" }, a.reason ?? ""),
              ),
            ),
            { id: "apps-table" },
          )
        : h(
            "p",
            { class: "muted" },
            "This deployment runs no stream apps (createTributary({ streamApps }) bundles them).",
          ),
    );
  });
}

export async function appView(root, [name], ctx) {
  const summary = h("p", { class: "muted" });
  const tasksEl = h("div");
  const chartEl = h("div", { class: "chart", id: "app-lag-chart" });
  const errorsEl = h("div");
  const storeEl = h("div");
  root.append(
    h("h1", null, "Stream app ", h("span", { class: "mono" }, name)),
    summary,
    h("section", null, h("h2", null, "Lag"), chartEl),
    h("section", null, h("h2", null, "Tasks"), tasksEl),
    h("section", null, h("h2", null, "Last errors"), errorsEl),
    h("section", null, h("h2", null, "Query a store"), storeEl),
  );
  const chart = timeChart(chartEl, { title: "records behind the sources", series: ["lag"], unit: "records" });
  ctx.signal.addEventListener("abort", () => chart.destroy());
  let storesShown = false;
  await ctx.every(3000, async () => {
    const a = await api(p("apps", name), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    summary.replaceChildren(
      h("span", { class: `badge ${a.state}` }, a.state),
      ` · ${a.tasks.length} task(s) · lag ${fmtInt(a.lag)}`,
      ...(a.reason ? [h("span", { class: "error" }, ` · ${a.reason}`)] : []),
    );
    chart.push(Date.now() / 1000, [a.lag]);
    tasksEl.replaceChildren(
      table(
        [
          "sub-topology#",
          "partition#",
          "sources (offset / high watermark)",
          "lag#",
          "processed#",
          "produced#",
          "late#",
          "skipped#",
          "deduped#",
          "batches#",
          "pending outputs#",
          "stream time (UTC)",
        ],
        a.tasks.map((t) => {
          const c = t.counters ?? {};
          const lag = (t.sources ?? []).reduce((s, x) => s + (x.lag ?? 0), 0);
          return h(
            "tr",
            null,
            num(t.subTopology),
            num(t.partition),
            h(
              "td",
              { class: "mono" },
              (t.sources ?? []).map((s) => `${s.topic}: ${s.offset} / ${s.highWatermark ?? "?"}`).join("\n"),
            ),
            num(lag),
            num(c.processed),
            num(c.produced),
            num(c.late),
            num(c.skipped),
            num(c.deduped),
            num(c.batches),
            num(t.pendingOutputs),
            h(
              "td",
              { class: "mono" },
              typeof t.streamTime === "number" && t.streamTime >= 0 ? fmtTime(t.streamTime) : "–",
            ),
          );
        }),
        { id: "tasks-table" },
      ),
    );
    const failing = a.tasks.filter((t) => t.lastError);
    errorsEl.replaceChildren(
      failing.length
        ? table(
            ["sub-topology#", "partition#", "error"],
            failing.map((t) =>
              h("tr", null, num(t.subTopology), num(t.partition), h("td", { class: "error" }, t.lastError)),
            ),
          )
        : h("p", { class: "muted" }, "No task reports an error."),
    );
    if (!storesShown) {
      storesShown = true;
      renderStoreQuery(storeEl, name, a.topology?.stores ?? []);
    }
  });
}

function renderStoreQuery(el, app, stores) {
  if (stores.length === 0) {
    el.replaceChildren(h("p", { class: "muted" }, "The app has no queryable stores."));
    return;
  }
  const store = h(
    "select",
    { id: "store-name" },
    stores.map((s) => h("option", { value: s.name }, `${s.name}${s.windowed ? " (windowed)" : ""}`)),
  );
  const key = h("input", { id: "store-key", placeholder: "all keys" });
  const from = h("input", { id: "store-from", placeholder: "window start ≥ (ms)" });
  const to = h("input", { id: "store-to", placeholder: "window start ≤ (ms)" });
  const limit = h("input", { id: "store-limit", type: "number", min: 1, max: 10000, value: 100 });
  const out = h("div", { id: "store-entries" });
  const message = h("p");
  el.replaceChildren(
    h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const q = new URLSearchParams();
          if (key.value) q.set("key", key.value);
          if (from.value) q.set("from", from.value);
          if (to.value) q.set("to", to.value);
          q.set("limit", limit.value || "100");
          out.replaceChildren();
          try {
            const { entries } = await api(`${p("apps", app, "stores", store.value)}?${q}`);
            message.textContent = "";
            const windowed = entries.some((e) => e.windowStart !== undefined);
            out.replaceChildren(
              entries.length
                ? table(
                    windowed ? ["key", "window start (UTC)", "window end (UTC)", "value"] : ["key", "value"],
                    entries.map((e) =>
                      h(
                        "tr",
                        null,
                        h("td", { class: "mono" }, typeof e.key === "string" ? e.key : JSON.stringify(e.key)),
                        windowed && [
                          h("td", { class: "mono" }, fmtTime(e.windowStart)),
                          h("td", { class: "mono" }, fmtTime(e.windowEnd)),
                        ],
                        h("td", null, h("pre", { class: "value" }, JSON.stringify(e.value, null, 2))),
                      ),
                    ),
                  )
                : h("p", { class: "muted" }, "No entries."),
            );
          } catch (err) {
            say(message, err);
            out.replaceChildren(h("p", { class: "error" }, err.message));
          }
        },
      },
      h(
        "div",
        { class: "row" },
        h("label", null, "store", store),
        h("label", null, "key", key),
        h("label", null, "from", from),
        h("label", null, "to", to),
        h("label", null, "limit", limit),
        h("button", { type: "submit", class: "primary", id: "store-query" }, "Query"),
      ),
      message,
    ),
    out,
  );
}
