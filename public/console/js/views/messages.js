// The message browser of one topic: a partition from an offset, the start, the newest records
// or a time; filters on key, value text and headers; values as JSON, text or hex; a live tail
// over the push delivery (SSE read with fetch, the token in the header); and a produce form.
import { api, p } from "../api.js";
import { fmtTime, h, link, say, seg, table } from "../dom.js";
import { tail } from "../live-tail.js";
import { formatValue, keyText, matches } from "../records.js";

/** How many records a browse scans at most, and the live tail keeps on screen. */
const MAX_SCAN = 20_000;
const MAX_TAIL_ROWS = 500;

export async function messagesView(root, [name], ctx) {
  const topic = await api(p("topics", name), { signal: ctx.signal });
  const partitionOptions = topic.partitions.map((x) => h("option", { value: x.partition }, `partition ${x.partition}`));

  // Browse controls.
  const partition = h("select", { id: "browse-partition" }, partitionOptions);
  const from = h(
    "select",
    { id: "browse-from" },
    h("option", { value: "newest" }, "newest"),
    h("option", { value: "earliest" }, "earliest"),
    h("option", { value: "offset" }, "offset"),
    h("option", { value: "time" }, "time"),
  );
  const offset = h("input", { id: "browse-offset", type: "number", min: 0, value: 0 });
  const time = h("input", { id: "browse-time", type: "datetime-local", step: 0.001 });
  const limit = h("input", { id: "browse-limit", type: "number", min: 1, max: 1000, value: 50 });
  const format = h(
    "select",
    { id: "browse-format" },
    ["json", "text", "hex"].map((f) => h("option", { value: f }, f)),
  );
  const keyFilter = h("input", { id: "filter-key", placeholder: "key contains" });
  const valueFilter = h("input", { id: "filter-value", placeholder: "value contains" });
  const headerFilter = h("input", { id: "filter-header", placeholder: "name or name=value" });
  const browseInfo = h("p", { id: "browse-info", class: "muted" });
  const results = h("div", { id: "records" });
  let next;
  let shown = [];

  const filters = () => ({ key: keyFilter.value, value: valueFilter.value, header: headerFilter.value });
  const render = () => {
    results.replaceChildren(recordsTable(shown, format.value, "records-table"));
    renderTail();
  };

  async function startOffset(part) {
    const info = await api(p("topics", name), { signal: ctx.signal });
    const x = info.partitions.find((q) => q.partition === part);
    switch (from.value) {
      case "earliest":
        return x.logStartOffset;
      case "offset":
        return Math.min(Math.max(Number(offset.value), x.logStartOffset), x.highWatermark);
      case "time": {
        const at = new Date(time.value).getTime();
        if (!Number.isFinite(at)) throw new Error("choose a time to start from");
        return (await api(`${p("topics", name, "partitions", part, "offsets")}?at=${at}`, { signal: ctx.signal }))
          .offset;
      }
      default:
        return Math.max(x.logStartOffset, x.highWatermark - Number(limit.value));
    }
  }

  /** Reads from `at` until `limit` records pass the filters, the end of the log, or MAX_SCAN. */
  async function browse(at, part) {
    const want = Number(limit.value);
    const f = filters();
    const found = [];
    let position = at;
    let scanned = 0;
    let end = position;
    scan: while (scanned < MAX_SCAN) {
      const query = `?offset=${position}&maxRecords=${Math.min(1000, Math.max(want, 100))}`;
      const page = await api(p("topics", name, "partitions", part, "records") + query, { signal: ctx.signal });
      end = page.highWatermark;
      for (const r of page.records) {
        scanned++;
        if (!matches(r, f)) continue;
        found.push(r);
        if (found.length === want) {
          position = r.offset + 1;
          break scan;
        }
      }
      position = page.nextOffset;
      if (position >= end) break;
    }
    next = { offset: position, partition: part };
    shown = found;
    browseInfo.textContent = `partition ${part}: from offset ${at}, scanned ${scanned} record(s), ${found.length} shown; the high watermark is ${end}`;
    render();
  }

  const browseMessage = h("p");
  const browseForm = h(
    "form",
    {
      id: "browse",
      onsubmit: async (event) => {
        event.preventDefault();
        browseMessage.textContent = "";
        try {
          const part = Number(partition.value);
          await browse(await startOffset(part), part);
        } catch (err) {
          say(browseMessage, err);
        }
      },
    },
    h(
      "div",
      { class: "row" },
      h("label", null, "partition", partition),
      h("label", null, "from", from),
      h("label", null, "offset", offset),
      h("label", null, "time (local)", time),
      h("label", null, "records", limit),
      h("label", null, "show values as", format),
    ),
    h(
      "div",
      { class: "row" },
      h("label", null, "key", keyFilter),
      h("label", null, "value text", valueFilter),
      h("label", null, "header", headerFilter),
      h("button", { type: "submit", class: "primary", id: "browse-button" }, "Fetch"),
      h(
        "button",
        {
          type: "button",
          id: "browse-next",
          onclick: async () => {
            if (!next) return;
            try {
              await browse(next.offset, next.partition);
            } catch (err) {
              say(browseMessage, err);
            }
          },
        },
        "Next page",
      ),
    ),
    browseMessage,
  );
  format.addEventListener("change", render);

  // Live tail.
  const tailRows = [];
  const tailState = h("span", { id: "tail-state", class: "badge" }, "stopped");
  const tailBody = h("div", { id: "tail" });
  const tailButton = h("button", { type: "button", id: "tail-button" }, "Start live tail");
  let tailing;
  function renderTail() {
    tailBody.replaceChildren(
      tailRows.length
        ? recordsTable(tailRows, format.value, "tail-table")
        : h("p", { class: "muted" }, "Records appended while the tail is open show here, newest first."),
    );
  }
  tailButton.addEventListener("click", () => {
    if (tailing) {
      tailing.abort();
      tailing = undefined;
      tailButton.textContent = "Start live tail";
      return;
    }
    tailing = new AbortController();
    const stopWithView = () => tailing?.abort();
    ctx.signal.addEventListener("abort", stopWithView, { once: true });
    tailButton.textContent = "Stop live tail";
    tailRows.length = 0;
    renderTail();
    const part = Number(partition.value);
    void tail({
      topic: name,
      partition: part,
      offset: "latest",
      signal: tailing.signal,
      onState: (s) => {
        tailState.textContent = s === "live" ? `live · partition ${part}` : s;
        tailState.className = `badge ${s === "live" ? "live" : ""}`;
      },
      onRecords: (message) => {
        const f = filters();
        for (const r of message.records) if (matches(r, f)) tailRows.unshift(r);
        tailRows.length = Math.min(tailRows.length, MAX_TAIL_ROWS);
        renderTail();
      },
    });
  });

  // Produce.
  const pKey = h("input", { id: "produce-key", placeholder: "none" });
  const pValue = h("textarea", { id: "produce-value", placeholder: '{"id": 1}' });
  const pKind = h(
    "select",
    { id: "produce-kind" },
    h("option", { value: "json" }, "JSON"),
    h("option", { value: "text" }, "text"),
  );
  const pHeaders = h("textarea", { id: "produce-headers", placeholder: "source: console\none header a line" });
  const pPartition = h(
    "select",
    { id: "produce-partition" },
    h("option", { value: "" }, "by key / sticky"),
    topic.partitions.map((x) => h("option", { value: x.partition }, `partition ${x.partition}`)),
  );
  const pResult = h("p", { id: "produce-result" });
  const produceForm = h(
    "form",
    {
      id: "produce",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const record = {};
          if (pKey.value !== "") record.key = pKey.value;
          if (pKind.value === "json") {
            try {
              record.value = JSON.parse(pValue.value);
            } catch (err) {
              throw new Error(`the value is not JSON (${err.message}); choose "text" to send it as a string`);
            }
          } else record.value = pValue.value;
          const headers = parseHeaders(pHeaders.value);
          if (Object.keys(headers).length) record.headers = headers;
          const path =
            pPartition.value === ""
              ? p("topics", name, "records")
              : p("topics", name, "partitions", Number(pPartition.value), "records");
          const { results: out } = await api(path, { method: "POST", body: { records: [record] } });
          say(pResult, `Produced to partition ${out[0].partition} at offset ${out[0].offset}.`, true);
        } catch (err) {
          say(pResult, err);
        }
      },
    },
    h(
      "div",
      { class: "row" },
      h("label", null, "key", pKey),
      h("label", null, "partition", pPartition),
      h("label", null, "value is", pKind),
    ),
    h("label", { class: "muted" }, "value", pValue),
    h("label", { class: "muted" }, "headers (name: value, one a line)", pHeaders),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", id: "produce-button" }, "Produce")),
    pResult,
  );

  root.append(
    h("h1", null, "Messages of ", link(`#/topics/${seg(name)}`, name, { class: "mono" })),
    h("section", null, h("h2", null, "Browse"), browseForm, browseInfo, results),
    h(
      "section",
      null,
      h("h2", null, "Live tail ", tailState),
      h(
        "div",
        { class: "row" },
        tailButton,
        h("span", { class: "muted" }, "from the end of the chosen partition; the filters apply"),
      ),
      tailBody,
    ),
    h("section", null, h("h2", null, "Produce"), produceForm),
  );
  renderTail();
}

function recordsTable(records, format, id) {
  if (records.length === 0) return h("p", { class: "muted", id }, "No records match.");
  return table(
    ["offset#", "partition#", "timestamp (UTC)", "key", "headers", "value"],
    records.map((r) =>
      h(
        "tr",
        { "data-offset": r.offset, "data-partition": r.partition },
        h("td", { class: "n" }, String(r.offset)),
        h("td", { class: "n" }, String(r.partition)),
        h("td", { class: "mono" }, fmtTime(r.timestamp)),
        h("td", { class: "mono record-key" }, keyText(r)),
        h(
          "td",
          { class: "headers" },
          Object.entries(r.headers ?? {}).map(([k, v]) => h("span", null, `${k}: ${v}`)),
        ),
        h("td", null, h("pre", { class: "value record-value" }, formatValue(r, format))),
      ),
    ),
    { id },
  );
}

/** "name: value" lines (blank lines skipped) as a headers object. */
function parseHeaders(text) {
  const headers = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`a header line is "name: value": ${line}`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}
