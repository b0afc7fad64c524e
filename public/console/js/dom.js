// Building the page's elements. Everything shown from the API (topic names, record keys and
// values, headers, error messages) is untrusted: it goes into text nodes and attribute values
// only, never through innerHTML, so no record can inject markup or script.

/**
 * An element: `h("td", { class: "n", onclick: fn }, "text", child)`. Attributes are set with
 * setAttribute (an `on…` function is added as a listener); strings and numbers become text
 * nodes; null, undefined and false children are skipped; arrays are flattened.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...unknown} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (name === "value" && el instanceof HTMLInputElement) el.value = String(value);
    else if (name === "checked" && el instanceof HTMLInputElement) el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** @param {Element} el @param {unknown[]} children */
function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/**
 * A table: `headers` are column titles (a title ending in "#" is numeric: right-aligned, without the "#").
 * @param {string[]} headers @param {unknown[]} rows @param {Record<string, unknown>} [attrs]
 */
export function table(headers, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headers.map((t) => (t.endsWith("#") ? h("th", { class: "n" }, t.slice(0, -1)) : h("th", null, t))),
      ),
    ),
    h("tbody", null, rows),
  );
}

/** A numeric cell. @param {unknown} value @param {Record<string, unknown>} [attrs] */
export function num(value, attrs = {}) {
  return h("td", { class: "n", ...attrs }, value === undefined || value === null ? "–" : fmtInt(value));
}

/** 12345 → "12,345". */
export function fmtInt(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : String(n);
}

/** Bytes, in the unit that reads best. */
export function fmtBytes(n) {
  if (typeof n !== "number") return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A time in ms since the epoch, as ISO-8601 in UTC without the milliseconds' noise. */
export function fmtTime(ms) {
  return typeof ms === "number" ? new Date(ms).toISOString().replace("T", " ").replace("Z", "") : "–";
}

/** A link to a view of the console (the hash never reaches the server). @param {string} hash @param {string} text @param {Record<string, unknown>} [attrs] */
export function link(hash, text, attrs = {}) {
  return h("a", { href: hash, ...attrs }, text);
}

/** The part of a hash route for a name (topics and groups may hold dots and dashes only, but encode anyway). */
export function seg(name) {
  return encodeURIComponent(name);
}

/** A message under a form: an error (an Error or the API's) or a success. @param {HTMLElement} el @param {unknown} message */
export function say(el, message, ok = false) {
  el.className = ok ? "ok" : "error";
  el.textContent = message instanceof Error ? message.message : String(message);
}
