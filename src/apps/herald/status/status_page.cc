#include "apps/herald/status/status_page.h"

namespace herald::app::status {

const std::string& status_page_html() {
  static const std::string page = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald status</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1f2933}
header{background:#1f2933;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:18px;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px;padding:16px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px}
h2{font-size:14px;margin:0 0 8px}
svg{width:100%;height:180px;display:block}
.axis{stroke:#9aa5b1;stroke-width:1}
.grid{stroke:#eef0f3;stroke-width:1}
.lbl{font-size:10px;fill:#52606d}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:4px 6px;border-bottom:1px solid #eef0f3}
.ok{color:#15803d;font-weight:600}.bad{color:#b91c1c;font-weight:600}
.big{font-size:28px;font-weight:600}
#err{color:#b91c1c}
</style></head><body>
<header><h1>Herald <span id="version"></span></h1><span id="domain"></span>
<span id="region"></span><span id="uptime"></span><span id="err"></span></header>
<main>
<section><h2>Since start</h2><table><tbody>
<tr><th>publishes received</th><td id="total-publishes">0</td></tr>
<tr><th>pushes sent to Apple and Google</th><td id="total-sent">0</td></tr>
<tr><th>delivered</th><td id="total-delivered">0</td></tr>
<tr><th>not delivered</th><td id="total-failed">0</td></tr>
<tr><th>delivery ratio</th><td><span class="big" id="ratio">&ndash;</span></td></tr>
</tbody></table></section>
<section><h2>Pushes per minute (last hour)</h2><svg id="pushes" viewBox="0 0 600 180"></svg>
<div class="legend" id="pushes-legend"></div></section>
<section><h2>Errors per minute, by reason</h2><svg id="errors" viewBox="0 0 600 180"></svg>
<div class="legend" id="errors-legend"></div></section>
<section><h2>Latency (ms)</h2><svg id="latency" viewBox="0 0 600 180"></svg>
<div class="legend" id="latency-legend"></div></section>
<section><h2>Upstreams</h2><table><thead><tr><th>module</th><th>service</th><th>state</th>
<th>sent</th><th>last answer</th></tr></thead><tbody id="upstreams"></tbody></table>
<h2 style="margin-top:16px">Federation</h2>
<div><span class="big" id="peers">0</span> peer domains &middot; <span id="s2s"></span></div>
<div id="tombstones"></div></section>
</main>
<script>
"use strict";
const NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569"];
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
// series: [{name, color, values: [number|null] (60)}]
function chart(id, series) {
  const svg = document.getElementById(id);
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = 600, H = 180, L = 40, R = 8, T = 8, B = 20;
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  if (max <= 0) max = 1;
  const nice = Math.pow(10, Math.floor(Math.log10(max)));
  max = Math.ceil(max / nice) * nice;
  const x = i => L + (W - L - R) * i / 59;
  const y = v => H - B - (H - T - B) * v / max;
  for (let k = 0; k <= 4; k++) {
    const v = max * k / 4;
    el("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), class: k ? "grid" : "axis"}, svg);
    el("text", {x: L - 4, y: y(v) + 3, "text-anchor": "end", class: "lbl"}, svg).textContent =
        Number.isInteger(v) ? v : v.toFixed(1);
  }
  for (const [i, label] of [[0, "-60 min"], [30, "-30 min"], [59, "now"]])
    el("text", {x: x(i), y: H - 4, "text-anchor": i ? (i === 59 ? "end" : "middle") : "start",
                class: "lbl"}, svg).textContent = label;
  // Where the chart is on screen, for tests that look at a screenshot.
  const box = svg.getBoundingClientRect();
  svg.setAttribute("data-box", [box.left, box.top, box.width, box.height].map(Math.round).join(","));
  const legend = document.getElementById(id + "-legend");
  legend.innerHTML = "";
  for (const s of series) {
    let d = "", points = 0, nonzero = 0, pen = false;
    s.values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
      pen = true; points++; if (v > 0) nonzero++;
    });
    el("path", {d: d.trim() || "M0 0", fill: "none", stroke: s.color, "stroke-width": 2.5,
                "stroke-linejoin": "round", class: "series", "data-name": s.name,
                "data-points": points, "data-nonzero": nonzero}, svg);
    s.values.forEach((v, i) => {
      if (v !== null && v > 0) el("circle", {cx: x(i), cy: y(v), r: 3, fill: s.color}, svg);
    });
    const item = document.createElement("span");
    const sw = document.createElement("i");
    sw.style.background = s.color;
    item.appendChild(sw);
    item.appendChild(document.createTextNode(s.name));
    legend.appendChild(item);
  }
}
function render(j) {
  const m = j.minutes;
  chart("pushes", [
    {name: "sent upstream", color: "#2563eb", values: m.map(b => b.pushes)},
    {name: "delivered", color: "#16a34a", values: m.map(b => b.delivered)}]);
  const reasons = [...new Set(m.flatMap(b => Object.keys(b.errors)))].sort();
  chart("errors", reasons.length ? reasons.map((r, i) => ({name: r, color: PALETTE[i % PALETTE.length],
      values: m.map(b => b.errors[r] || 0)})) : [{name: "none", color: "#9aa5b1", values: m.map(() => 0)}]);
  chart("latency", [
    {name: "IQ round trip, avg", color: "#7c3aed", values: m.map(b => b.iq_ms_avg)},
    {name: "IQ round trip, max", color: "#c4b5fd", values: m.map(b => b.iq_ms_max)},
    {name: "upstream request, avg", color: "#ea580c", values: m.map(b => b.upstream_ms_avg)}]);
  const tbody = document.getElementById("upstreams");
  tbody.innerHTML = "";
  for (const u of j.upstreams) {
    const tr = document.createElement("tr");
    const ago = u.last_answer_seconds_ago === undefined ? "never" : u.last_answer_seconds_ago + " s ago";
    const cells = [u.module, u.service, u.state + (u.reason && !u.ready ? " (" + u.reason + ")" : ""),
                   u.sent, ago];
    cells.forEach((c, i) => {
      const td = document.createElement("td");
      td.textContent = c;
      if (i === 2) td.className = u.ready ? "ok" : "bad";
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  document.getElementById("peers").textContent = j.s2s.peer_domains;
  document.getElementById("s2s").textContent = j.s2s.inbound + " inbound, " + j.s2s.outbound_ready +
      " outbound streams, " + j.s2s.queued + " stanzas queued";
  document.getElementById("tombstones").textContent = j.tombstones + " dead tokens remembered";
  document.getElementById("uptime").textContent = "up " + Math.floor(j.uptime_seconds / 60) + " min";
  document.getElementById("version").textContent = j.service.version;
  document.getElementById("domain").textContent = j.service.domain;
  document.getElementById("region").textContent = "region " + j.service.region;
  for (const k of ["publishes", "sent", "delivered", "failed"])
    document.getElementById("total-" + k).textContent = j.totals[k];
  document.getElementById("ratio").textContent =
      j.delivery_ratio === null ? "\u2013" : (100 * j.delivery_ratio).toFixed(1) + " %";
  document.body.setAttribute("data-rendered", "1");
}
function refresh() {
  fetch("status.json", {cache: "no-store"}).then(r => r.json()).then(j => {
    document.getElementById("err").textContent = "";
    render(j);
  }).catch(e => { document.getElementById("err").textContent = "cannot load status.json: " + e; });
}
refresh();
setInterval(refresh, 10000);
</script></body></html>
)HTML";
  return page;
}

}  // namespace herald::app::status
