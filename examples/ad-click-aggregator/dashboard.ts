/**
 * The dashboard page: clicks per minute as a bar chart and the top ads of the current minute,
 * refreshed every second from GET /dashboard/data (no reload, no external scripts). With
 * `?ad=<adId>` it charts one ad's clicks instead of all ads'. Each bar and row carries its number
 * in a data attribute, so a browser test reads what a person sees. The counts are the
 * advertisers' business data: the page asks for a token and keeps it for the tab's session only
 * (sessionStorage), never in the URL.
 */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ad clicks · Tributary</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 960px; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .sub { color: #5b6475; margin: 0 0 20px; font-size: 14px; }
  .cards { display: flex; gap: 12px; margin-bottom: 20px; }
  .card { background: #fff; border-radius: 8px; padding: 12px 16px; flex: 1; box-shadow: 0 1px 2px #0001; }
  .card b { display: block; font-size: 26px; }
  .card span { color: #5b6475; font-size: 13px; }
  section { background: #fff; border-radius: 8px; padding: 16px; margin-bottom: 20px; box-shadow: 0 1px 2px #0001; }
  h2 { font-size: 15px; margin: 0 0 12px; }
  svg text { font-size: 11px; fill: #5b6475; }
  svg .count { fill: #1d2330; font-weight: 600; }
  rect.bar { fill: #f38020; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  td, th { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eef0f3; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  #status { font-size: 12px; color: #5b6475; }
  #status.error { color: #c0392b; }
  #login { background: #fff; border-radius: 8px; padding: 16px; margin-bottom: 20px; box-shadow: 0 1px 2px #0001; }
  #login input { font: inherit; padding: 6px 8px; width: 320px; }
  #login button { font: inherit; padding: 6px 12px; }
</style>
</head>
<body>
<h1>Ad clicks</h1>
<p class="sub"><span id="scope">All ads</span> · exact counts from the aggregator's stores, tumbling one-minute windows ·
<span id="status">connecting…</span></p>
<form id="login" hidden>
  <label for="token">API token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" placeholder="a Tributary token">
  <button type="submit">Show counts</button>
</form>
<div class="cards">
  <div class="card"><b id="current-minute">–</b><span>clicks this minute</span></div>
  <div class="card"><b id="current-hour">–</b><span>clicks this hour</span></div>
  <div class="card"><b id="shown-total">–</b><span id="shown-label">clicks in the chart</span></div>
</div>
<section>
  <h2>Clicks per minute</h2>
  <svg id="chart" width="100%" height="220" viewBox="0 0 900 220" role="img" aria-label="clicks per minute"></svg>
</section>
<section>
  <h2>Top ads, <span id="top-minute">this minute</span></h2>
  <table><thead><tr><th>#</th><th>ad</th><th class="n">clicks</th></tr></thead><tbody id="top"></tbody></table>
</section>
<script>
const params = new URLSearchParams(location.search);
const ad = params.get("ad");
const minutes = Number(params.get("minutes")) || 15;
if (ad) document.getElementById("scope").textContent = "Ad " + ad;
document.getElementById("shown-label").textContent = "clicks in the last " + minutes + " minutes";
const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);
const svgNs = "http://www.w3.org/2000/svg";
function el(name, attrs, text) {
  const e = document.createElementNS(svgNs, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
function drawChart(rows) {
  const svg = document.getElementById("chart");
  svg.replaceChildren();
  const max = Math.max(1, ...rows.map((r) => r.count));
  const w = 900 / rows.length;
  rows.forEach((r, i) => {
    const h = Math.round((r.count / max) * 170);
    const g = el("g", { class: "minute", "data-minute": r.start, "data-count": r.count });
    g.append(el("rect", { class: "bar", x: i * w + 4, y: 190 - h, width: w - 8, height: h }));
    g.append(el("text", { class: "count", x: i * w + w / 2, y: 184 - h, "text-anchor": "middle" }, String(r.count)));
    g.append(el("text", { x: i * w + w / 2, y: 208, "text-anchor": "middle" }, hhmm(r.start)));
    svg.append(g);
  });
}
function drawTop(top) {
  document.getElementById("top-minute").textContent = hhmm(top.minute) + " UTC";
  const body = document.getElementById("top");
  body.replaceChildren();
  if (top.ads.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 3;
    td.textContent = "no clicks yet";
    tr.append(td);
    body.append(tr);
  }
  top.ads.forEach((a, i) => {
    const tr = document.createElement("tr");
    tr.dataset.ad = a.adId;
    tr.dataset.count = a.count;
    for (const [text, cls] of [[i + 1, ""], [a.adId, ""], [a.count, "n"]]) {
      const td = document.createElement("td");
      td.textContent = String(text);
      if (cls) td.className = cls;
      tr.append(td);
    }
    body.append(tr);
  });
}
const login = document.getElementById("login");
login.addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem("tributary-token", document.getElementById("token").value.trim());
  login.hidden = true;
});
async function refresh() {
  const status = document.getElementById("status");
  const token = sessionStorage.getItem("tributary-token");
  if (!token) {
    login.hidden = false;
    status.textContent = "enter a token to see the counts";
    return;
  }
  try {
    const q = new URLSearchParams({ minutes: String(minutes) });
    if (ad) q.set("ad", ad);
    const res = await fetch("/dashboard/data?" + q, { headers: { authorization: "Bearer " + token } });
    const data = await res.json();
    if (res.status === 401) {
      sessionStorage.removeItem("tributary-token");
      login.hidden = false;
    }
    if (!res.ok) throw new Error(data.error ? data.error.message : res.statusText);
    drawChart(data.minutes);
    drawTop(data.top);
    const now = data.minutes[data.minutes.length - 1];
    document.getElementById("current-minute").textContent = now ? now.count : 0;
    document.getElementById("current-hour").textContent = data.hour.count;
    document.getElementById("shown-total").textContent = data.minutes.reduce((n, r) => n + r.count, 0);
    status.textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC";
    status.className = "";
  } catch (err) {
    status.textContent = "update failed: " + err.message;
    status.className = "error";
  }
}
// One request at a time: a slow answer must not land after a newer one and undo it.
async function loop() {
  await refresh();
  setTimeout(loop, 1000);
}
loop();
</script>
</body>
</html>
`;
