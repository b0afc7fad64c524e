// Topics: every topic the token may describe, and a form to create one.
import { api } from "../api.js";
import { fmtBytes, h, link, num, say, seg, table } from "../dom.js";
import { describeTopics, totals } from "./cluster.js";

export async function topicsView(root, _params, ctx) {
  const list = h("div");
  const message = h("p", { id: "create-result" });
  const name = h("input", { id: "new-topic", required: true, pattern: "[a-zA-Z0-9._-]{1,249}", placeholder: "orders" });
  const partitions = h("input", { id: "new-partitions", type: "number", min: 1, max: 1024, value: 1 });
  const replicas = h("input", { id: "new-replicas", type: "number", min: 1, max: 5, value: 1 });
  const form = h(
    "form",
    {
      id: "create-topic",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const topic = await api("/topics", {
            method: "POST",
            body: {
              name: name.value.trim(),
              partitions: Number(partitions.value),
              replicationFactor: Number(replicas.value),
            },
          });
          say(message, `Created ${topic.name} with ${topic.partitions.length} partition(s).`, true);
          location.hash = `#/topics/${seg(topic.name)}`;
        } catch (err) {
          say(message, err);
        }
      },
    },
    h(
      "div",
      { class: "row" },
      h("label", null, "name", name),
      h("label", null, "partitions", partitions),
      h("label", null, "replication factor", replicas),
      h("button", { type: "submit", class: "primary" }, "Create topic"),
    ),
    message,
  );
  root.append(h("h1", null, "Topics"), h("section", null, h("h2", null, "New topic"), form), h("section", null, list));
  await ctx.every(5000, async () => {
    const topics = await describeTopics(ctx.signal);
    list.replaceChildren(
      topics.length
        ? table(
            ["topic", "partitions#", "replicas#", "records#", "bytes#", "cleanup", "retention"],
            topics.map((t) => {
              const sum = totals(t);
              return h(
                "tr",
                { "data-topic": t.name },
                h("td", null, link(`#/topics/${seg(t.name)}`, t.name)),
                num(t.partitions.length),
                num(t.replicationFactor),
                num(sum.records),
                h("td", { class: "n" }, fmtBytes(sum.bytes)),
                h("td", null, t.config?.cleanupPolicy ?? ""),
                h("td", null, retention(t.config?.retentionMs)),
              );
            }),
          )
        : h("p", { class: "muted" }, "No topics yet."),
    );
  });
}

function retention(ms) {
  if (ms === undefined) return "";
  if (ms < 0) return "forever";
  const hours = ms / 3_600_000;
  return hours >= 24 ? `${+(hours / 24).toFixed(1)} d` : `${+hours.toFixed(2)} h`;
}
