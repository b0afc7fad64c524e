// Consumer groups: the list, and one group's members, assignment, lag per partition (with its
// total drawn over time), an offset reset, and, for a queue-mode group, its queue: in flight,
// redeliveries, the dead letters with their reasons, and a redrive.
import { api, p } from "../api.js";
import { timeChart } from "../chart.js";
import { fmtInt, fmtTime, h, link, num, say, seg, table } from "../dom.js";
import { formatValue, keyText } from "../records.js";

export async function groupsView(root, _params, ctx) {
  const list = h("div");
  root.append(h("h1", null, "Consumer groups"), h("section", null, list));
  await ctx.every(3000, async () => {
    const { groups } = await api("/groups", { signal: ctx.signal });
    list.replaceChildren(
      groups.length
        ? table(
            ["group", "state", "members#", "generation#"],
            groups.map((g) =>
              h(
                "tr",
                { "data-group": g.group },
                h("td", null, link(`#/groups/${seg(g.group)}`, g.group)),
                h("td", null, h("span", { class: `badge ${g.state}` }, g.state)),
                num(g.members),
                num(g.generation),
              ),
            ),
            { id: "groups-table" },
          )
        : h("p", { class: "muted" }, "No consumer groups yet."),
    );
  });
}

export async function groupView(root, [group], ctx) {
  const summary = h("p", { class: "muted", id: "group-summary" });
  const totalLag = h("b", { id: "total-lag" }, "–");
  const membersEl = h("div");
  const lagEl = h("div");
  const chartEl = h("div", { class: "chart", id: "lag-chart" });
  const queueEl = h("div", { id: "queue" });
  // Shown only for a group in queue mode.
  const queueSectionEl = h("section", { id: "queue-section", hidden: true }, h("h2", null, "Queue mode"), queueEl);
  const resetEl = h("div");
  root.append(
    h("h1", null, "Group ", h("span", { class: "mono" }, group)),
    summary,
    h("div", { class: "cards" }, h("div", { class: "card" }, totalLag, h("span", null, "total lag (records)"))),
    queueSectionEl,
    h("section", null, h("h2", null, "Lag"), chartEl, lagEl),
    h("section", null, h("h2", null, "Members and assignment"), membersEl),
    h("section", null, h("h2", null, "Reset offsets"), resetEl),
  );
  const chart = timeChart(chartEl, { title: "lag per topic", series: [], unit: "records" });
  ctx.signal.addEventListener("abort", () => chart.destroy());
  let topics = [];

  const refresh = async () => {
    const g = await api(p("groups", group), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    summary.textContent = `${g.state} · generation ${g.generation} · ${g.membership ?? ""} protocol${g.assignor ? ` · assignor ${g.assignor}` : ""}`;
    totalLag.textContent = fmtInt(g.totalLag);
    totalLag.dataset.lag = String(g.totalLag);
    lagEl.replaceChildren(
      g.lag.length
        ? table(
            ["topic", "partition#", "committed#", "high watermark#", "log start#", "lag#"],
            g.lag.map((l) =>
              h(
                "tr",
                { "data-topic": l.topic, "data-partition": l.partition, "data-lag": l.lag },
                h("td", null, link(`#/topics/${seg(l.topic)}`, l.topic)),
                num(l.partition),
                num(l.committed),
                num(l.highWatermark),
                num(l.logStartOffset),
                num(l.lag),
              ),
            ),
            { id: "lag-table" },
          )
        : h("p", { class: "muted" }, "No committed offsets."),
    );
    membersEl.replaceChildren(
      g.members.length
        ? table(
            ["member", "topics", "assigned partitions", "session timeout#"],
            g.members.map((m) =>
              h(
                "tr",
                { "data-member": m.memberId },
                h("td", { class: "mono" }, m.memberId),
                h("td", null, (m.topics ?? []).join(", ")),
                h(
                  "td",
                  { class: "mono assigned" },
                  (m.assignments ?? []).map((a) => `${a.topic}/${a.partition}`).join(", ") || "none",
                ),
                num(m.sessionTimeoutMs),
              ),
            ),
            { id: "members-table" },
          )
        : h("p", { class: "muted" }, "No members: the group is empty."),
    );
    const byTopic = new Map();
    for (const l of g.lag) byTopic.set(l.topic, (byTopic.get(l.topic) ?? 0) + l.lag);
    const names = [...byTopic.keys()].sort();
    chart.rename(names);
    chart.push(
      Date.now() / 1000,
      names.map((n) => byTopic.get(n)),
    );
    if (names.join() !== topics.join()) {
      topics = names;
      renderReset(resetEl, group, topics, refresh);
    }
  };
  renderReset(resetEl, group, topics, refresh);
  await ctx.every(2000, refresh);
  await queueSection(queueEl, queueSectionEl, group, ctx);
}

function renderReset(el, group, topics, refresh) {
  const topic = h(
    "select",
    { id: "reset-topic" },
    topics.map((t) => h("option", { value: t }, t)),
  );
  const to = h(
    "select",
    { id: "reset-to" },
    ["earliest", "latest", "offset", "timestamp"].map((v) => h("option", { value: v }, v)),
  );
  const value = h("input", { id: "reset-value", placeholder: "offset, or ms since the epoch" });
  const message = h("p", { id: "reset-result" });
  el.replaceChildren(
    h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const target =
            to.value === "offset"
              ? { offset: Number(value.value) }
              : to.value === "timestamp"
                ? { timestamp: Number(value.value) }
                : to.value;
          try {
            const { offsets } = await api(`${p("groups", group, "offsets")}/reset`, {
              method: "POST",
              body: { topic: topic.value, to: target },
            });
            say(message, `Reset ${offsets.length} partition(s) of ${topic.value}.`, true);
            await refresh();
          } catch (err) {
            say(message, err);
          }
        },
      },
      h(
        "div",
        { class: "row" },
        h("label", null, "topic", topic),
        h("label", null, "to", to),
        h("label", null, "value", value),
        h("button", { type: "submit", disabled: topics.length === 0 }, "Reset"),
      ),
      h("p", { class: "hint" }, "Only while no member reads the topic (the API answers NON_EMPTY_GROUP otherwise)."),
      message,
    ),
  );
}

/** The queue's figures (GET /v1/groups/:group/queue), its dead letters and a redrive. */
async function queueSection(el, section, group, ctx) {
  const stats = h("div");
  const dead = h("div", { id: "dead-letters" });
  const message = h("p", { id: "redrive-result" });
  let deadLetterTopic;
  const showDead = async () => {
    if (!deadLetterTopic) return;
    const rows = [];
    try {
      const t = await api(p("topics", deadLetterTopic), { signal: ctx.signal });
      for (const part of t.partitions) {
        const from = Math.max(part.logStartOffset, part.highWatermark - 50);
        const page = await api(
          `${p("topics", deadLetterTopic, "partitions", part.partition, "records")}?offset=${from}&maxRecords=50`,
          {
            signal: ctx.signal,
          },
        );
        rows.push(...page.records);
      }
    } catch (err) {
      if (err.code !== "UNKNOWN_TOPIC_OR_PARTITION") throw err;
    }
    rows.sort((a, b) => b.timestamp - a.timestamp);
    dead.replaceChildren(
      h("h2", null, "Dead letters in ", h("span", { class: "mono" }, deadLetterTopic)),
      rows.length
        ? table(
            ["dead-letter offset#", "from", "deliveries#", "reason", "key", "value", "at (UTC)"],
            rows.map((r) => {
              const hd = r.headers ?? {};
              return h(
                "tr",
                { "data-offset": r.offset, "data-partition": r.partition },
                h("td", { class: "n" }, `${r.partition}/${r.offset}`),
                h(
                  "td",
                  { class: "mono" },
                  `${hd["x-dlq-source-topic"] ?? "?"}/${hd["x-dlq-source-partition"] ?? "?"}@${hd["x-dlq-source-offset"] ?? "?"}`,
                ),
                h("td", { class: "n" }, hd["x-dlq-delivery-count"] ?? "–"),
                h("td", { class: "dlq-reason" }, hd["x-dlq-reason"] ?? ""),
                h("td", { class: "mono" }, keyText(r)),
                h("td", null, h("pre", { class: "value" }, formatValue(r, "json"))),
                h("td", { class: "mono" }, fmtTime(r.timestamp)),
              );
            }),
            { id: "dead-letters-table" },
          )
        : h("p", { class: "muted" }, "No dead letters."),
    );
  };
  // A group may read several topics as queues: the API then names them, and one is picked here.
  let queueTopic;
  const picker = h("select", { id: "queue-topic", hidden: true });
  picker.addEventListener("change", () => {
    queueTopic = picker.value;
    void refresh().catch((err) => ctx.status(err.message, true));
  });
  const refresh = async () => {
    let q;
    try {
      const query = queueTopic ? `?topic=${encodeURIComponent(queueTopic)}` : "";
      q = await api(p("groups", group, "queue") + query, { signal: ctx.signal });
    } catch (err) {
      const topics = err.details?.topics;
      if (err.code === "INVALID_REQUEST" && Array.isArray(topics) && topics.length > 0 && !queueTopic) {
        queueTopic = topics[0];
        picker.replaceChildren(...topics.map((t) => h("option", { value: t }, t)));
        picker.hidden = false;
        return refresh();
      }
      // Not a queue (or a deployment without the queue routes): the section stays hidden.
      if (err.code !== "INCONSISTENT_GROUP_PROTOCOL" && err.code !== "NOT_FOUND" && err.code !== "GROUP_ID_NOT_FOUND") {
        throw err;
      }
      section.hidden = true;
      return;
    }
    section.hidden = false;
    deadLetterTopic = q.deadLetterTopic;
    const card = (id, value, label) =>
      h("div", { class: "card" }, h("b", { id, "data-value": value }, fmtInt(value)), h("span", null, label));
    stats.replaceChildren(
      h(
        "p",
        { class: "muted" },
        `topic ${q.topic} · at most ${q.maxDeliveries} deliveries · dead letters to ${q.deadLetterTopic}`,
      ),
      h(
        "div",
        { class: "cards" },
        card("queue-backlog", q.backlog, "backlog"),
        card("queue-in-flight", q.inFlight, "in flight"),
        card("queue-redeliveries", q.redeliveries, "redeliveries"),
        card("queue-dead-lettered", q.deadLettered, "dead-lettered"),
        q.deadLetterRemaining !== undefined &&
          card("queue-dlq-remaining", q.deadLetterRemaining, "dead letters to redrive"),
      ),
      table(
        [
          "partition#",
          "backlog#",
          "in flight#",
          "redeliverable#",
          "delayed#",
          "redeliveries#",
          "acked#",
          "dead-lettered#",
        ],
        (q.partitions ?? []).map((x) =>
          h(
            "tr",
            null,
            num(x.partition),
            num(x.backlog),
            num(x.inFlight),
            num(x.redeliverable),
            num(x.delayed),
            num(x.redeliveries),
            num(x.acked),
            num(x.deadLettered),
          ),
        ),
      ),
      h(
        "div",
        { class: "row" },
        h(
          "button",
          {
            type: "button",
            id: "redrive-button",
            onclick: async () => {
              try {
                const r = await api(`${p("groups", group, "queue")}/redrive`, {
                  method: "POST",
                  body: { topic: q.topic },
                });
                say(
                  message,
                  `Redrove ${r.redriven} record(s) to ${q.topic}; ${r.remaining} left in ${q.deadLetterTopic}.`,
                  true,
                );
                await refresh();
              } catch (err) {
                say(message, err);
              }
            },
          },
          "Redrive dead letters",
        ),
        message,
      ),
    );
    await showDead();
  };
  el.replaceChildren(picker, stats, dead);
  await ctx.every(3000, refresh);
}
