// Overview: counts of topics, partitions, records, bytes, groups and apps; the cluster's
// produce throughput (records/s from the high watermarks, polled every 3 s) as a chart; and
// the topics, groups and apps at a glance.
import { api } from "../api.js";
import { timeChart } from "../chart.js";
import { fmtBytes, fmtInt, h, link, num, seg, table } from "../dom.js";
import { rates } from "../rates.js";
import { describeTopics, totals } from "./cluster.js";

export async function overviewView(root, _params, ctx) {
  const card = (id, label) => h("div", { class: "card" }, h("b", { id }, "–"), h("span", null, label));
  const chartEl = h("div", { class: "chart", id: "throughput-chart" });
  const topicsBody = h("div");
  const groupsBody = h("div");
  const appsBody = h("div");
  root.append(
    h("h1", null, "Overview"),
    h(
      "div",
      { class: "cards" },
      card("count-topics", "topics"),
      card("count-partitions", "partitions"),
      card("count-records", "records"),
      card("count-bytes", "stored"),
      card("count-groups", "consumer groups"),
      card("count-apps", "stream apps"),
    ),
    h("section", null, h("h2", null, "Throughput"), chartEl),
    h("section", null, h("h2", null, "Topics"), topicsBody),
    h(
      "div",
      { class: "grid2" },
      h("section", null, h("h2", null, "Groups"), groupsBody),
      h("section", null, h("h2", null, "Stream apps"), appsBody),
    ),
  );
  const chart = timeChart(chartEl, {
    title: "produced (from the high watermarks and sizes, every 3 s)",
    series: ["records/s", "KiB/s"],
    unit: "records/s",
    right: "KiB/s",
  });
  const rate = rates();
  ctx.signal.addEventListener("abort", () => chart.destroy());
  const set = (id, text) => {
    document.getElementById(id).textContent = text;
  };

  await ctx.every(3000, async () => {
    const [topics, groups, apps] = await Promise.all([
      describeTopics(ctx.signal),
      api("/groups", { signal: ctx.signal }).then((g) => g.groups),
      api("/apps", { signal: ctx.signal }).then(
        (a) => a.apps,
        () => [],
      ),
    ]);
    if (ctx.signal.aborted) return;
    let records = 0;
    let bytes = 0;
    let end = 0;
    let partitions = 0;
    const rows = topics.map((t) => {
      const sum = totals(t);
      records += sum.records;
      bytes += sum.bytes;
      end += sum.end;
      partitions += t.partitions.length;
      return h(
        "tr",
        { "data-topic": t.name },
        h("td", null, link(`#/topics/${seg(t.name)}`, t.name)),
        num(t.partitions.length),
        num(t.replicationFactor),
        num(sum.records),
        h("td", { class: "n" }, fmtBytes(sum.bytes)),
        h("td", { class: "n" }, fmtInt(Math.round(rate(`t:${t.name}`, sum.end)))),
      );
    });
    const now = Date.now();
    chart.push(now / 1000, [rate("all", end, now), rate("bytes", bytes, now) / 1024]);
    set("count-topics", fmtInt(topics.length));
    set("count-partitions", fmtInt(partitions));
    set("count-records", fmtInt(records));
    set("count-bytes", fmtBytes(bytes));
    set("count-groups", fmtInt(groups.length));
    set("count-apps", fmtInt(apps.length));
    topicsBody.replaceChildren(
      rows.length
        ? table(["topic", "partitions#", "replicas#", "records#", "bytes#", "records/s#"], rows, { id: "topics-table" })
        : h("p", { class: "muted" }, "No topics yet. ", link("#/topics", "Create one")),
    );
    groupsBody.replaceChildren(
      groups.length
        ? table(
            ["group", "state", "members#"],
            groups.map((g) =>
              h(
                "tr",
                null,
                h("td", null, link(`#/groups/${seg(g.group)}`, g.group)),
                h("td", null, h("span", { class: `badge ${g.state}` }, g.state)),
                num(g.members),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No consumer groups."),
    );
    appsBody.replaceChildren(
      apps.length
        ? table(
            ["app", "state", "tasks#"],
            apps.map((a) =>
              h(
                "tr",
                null,
                h("td", null, link(`#/apps/${seg(a.name)}`, a.name)),
                h("td", null, h("span", { class: `badge ${a.state}` }, a.state)),
                num(a.tasks),
              ),
            ),
          )
        : h("p", { class: "muted" }, "This deployment runs no stream apps."),
    );
  });
}
