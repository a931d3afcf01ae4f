// The status page served at GET / (docs/status-page.md): plain HTML, its style and its script in
// one string, no external asset (it works offline, behind the same basic auth as the rest: the
// browser sends the page's credentials with the script's requests, which are same-origin).
//
// The script polls GET /-/status every 2 s and renders it; rates (lines and bytes per second)
// are the difference of two polls over the time between them. The tap view streams
// GET /-/tap?pipeline=...&limit=... and shows each object as it arrives. Values are written
// with textContent only (never as HTML), so a dropped record's text cannot inject markup.
// Every rendered value carries a `data-k` attribute naming it (e.g. `pipeline/api/counted`),
// for the e2e test (tests/e2e/status_page.sh) and for anyone scripting against the page.

#include "sinks/exporter/status_page.h"

namespace logtally::sinks {

namespace {

constexpr std::string_view kStatusPageHtml = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logtally status</title>
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.1em; margin-top: 1.4em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.4em 0; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #777; }
.bad { color: #b00; font-weight: bold; }
.ok { color: #070; }
pre { background: #f6f6f6; padding: 0.2em 0.4em; margin: 0.1em 0; white-space: pre-wrap;
      word-break: break-all; font-size: 0.9em; }
#tap-out { max-height: 30em; overflow: auto; border: 1px solid #ddd; }
</style>
</head>
<body>
<h1>logtally status</h1>
<div class="muted">config <span id="config-file" data-k="config/file"></span>,
  updated <span id="updated">never</span> <span id="poll-error" class="bad"></span></div>

<h2>Sources</h2>
<table id="sources"><thead><tr><th>source</th><th>type</th><th>lines</th><th>lines/s</th>
<th>bytes</th><th>bytes/s</th><th>position / lag</th><th>description</th></tr></thead>
<tbody></tbody></table>

<h2>Pipelines</h2>
<div id="pipelines"></div>

<h2>Metrics</h2>
<table id="metrics"><thead><tr><th>metric</th><th>type</th><th>series</th><th>max_series</th>
<th>overflow updates</th></tr></thead><tbody></tbody></table>

<h2>Checkpoints</h2>
<div id="checkpoint"></div>

<h2>Sinks</h2>
<table id="sinks"><thead><tr><th>sink</th><th>type</th><th>health</th><th>sends ok</th>
<th>sends failed</th><th>description</th></tr></thead><tbody></tbody></table>

<h2>Tap</h2>
<div>pipeline <select id="tap-pipeline"></select>
  records <input id="tap-limit" type="number" min="1" max="1000" value="20" size="5">
  <button id="tap-start">Start</button> <button id="tap-stop" disabled>Stop</button>
  <span id="tap-state" class="muted" data-k="tap/state"></span></div>
<div id="tap-out"></div>

<script>
"use strict";
const POLL_MS = 2000;
let previous = null;  // The last status and when it came, for the rates.
let tapAbort = null;

function el(tag, text, cls, key) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  if (key) e.setAttribute("data-k", key);
  return e;
}
function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c);
  return tr;
}
function num(v, key) { return el("td", v === null || v === undefined ? "-" : v, "n", key); }
function rate(now, before, seconds) {
  if (before === undefined || seconds <= 0) return "-";
  return ((now - before) / seconds).toFixed(1);
}
function fill(tbodyParent, rows) {
  const tbody = document.querySelector(tbodyParent + " tbody");
  tbody.replaceChildren(...rows);
}

function render(s, seconds) {
  const prev = previous ? previous.status : null;
  document.getElementById("config-file").textContent = s.config.file || "(none)";
  document.getElementById("updated").textContent = new Date(s.time_unix_ms).toLocaleTimeString();

  const prevSources = {};
  if (prev) for (const x of prev.sources) prevSources[x.name] = x;
  fill("#sources", s.sources.map(x => {
    const k = "source/" + x.name + "/";
    const p = prevSources[x.name] || {};
    let where = "read to byte " + x.bytes;
    if (x.kafka_lag !== null) where = "lag " + x.kafka_lag + " messages";
    else if (x.files_watched !== null) where += ", " + x.files_watched + " file(s) open";
    return row([el("td", x.name, null, k + "name"), el("td", x.type), num(x.lines, k + "lines"),
                num(rate(x.lines, p.lines, seconds), k + "lines_per_second"),
                num(x.bytes, k + "bytes"),
                num(rate(x.bytes, p.bytes, seconds), k + "bytes_per_second"),
                el("td", where, null, k + "position"), el("td", x.description, "muted")]);
  }));

  const pipes = document.getElementById("pipelines");
  pipes.replaceChildren(...s.pipelines.map(p => {
    const k = "pipeline/" + p.name + "/";
    const box = document.createElement("div");
    const title = el("h3", p.name, null, k + "name");
    box.appendChild(title);
    box.appendChild(el("div", "parser " + (p.parser || "?") + ", reads " +
                              (p.inputs.join(", ") || "?"), "muted"));
    // One row per count: counted, filtered, then each drop reason.
    const t = document.createElement("table");
    t.appendChild(row([el("td", "counted"), num(p.counted, k + "counted")]));
    t.appendChild(row([el("td", "filtered"), num(p.filtered, k + "filtered")]));
    for (const [r, n] of Object.entries(p.dropped)) {
      t.appendChild(row([el("td", "dropped: " + r), el("td", n, n > 0 ? "n bad" : "n",
                                                         k + "dropped/" + r)]));
    }
    box.appendChild(t);
    for (const [reason, drops] of Object.entries(p.recent_drops)) {
      box.appendChild(el("div", "last dropped as " + reason + " (newest first):"));
      drops.forEach((d, i) => {
        const pre = el("pre", d.record, null, k + "recent_drops/" + reason + "/" + i);
        box.appendChild(pre);
        let note = d.metric ? "metric " + d.metric : "";
        if (d.truncated) note += (note ? ", " : "") + "first bytes of " + d.length;
        if (note) box.appendChild(el("div", note, "muted"));
      });
    }
    return box;
  }));

  fill("#metrics", s.metrics.map(m => {
    const k = "metric/" + m.name + "/";
    const full = m.max_series > 0 && m.series >= m.max_series;
    return row([el("td", m.name, null, k + "name"), el("td", m.type),
                el("td", m.series, full ? "n bad" : "n", k + "series"),
                num(m.max_series > 0 ? m.max_series : "no limit", k + "max_series"),
                el("td", m.overflow, m.overflow > 0 ? "n bad" : "n", k + "overflow")]);
  }));

  const c = s.checkpoint;
  const cp = document.getElementById("checkpoint");
  if (!c.enabled) {
    cp.replaceChildren(el("span", "checkpoints are off (no checkpoint dir)", "muted",
                          "checkpoint/state"));
  } else if (c.age_seconds === null) {
    cp.replaceChildren(el("span", "no checkpoint written yet", "bad", "checkpoint/state"));
  } else {
    cp.replaceChildren(el("span", "last checkpoint " + c.age_seconds.toFixed(1) + " s ago",
                          null, "checkpoint/state"),
                       el("span", ", " + (c.failures || 0) + " failed", c.failures > 0 ? "bad" : null,
                          "checkpoint/failures"));
  }

  const prevSinks = {};
  if (prev) for (const x of prev.sinks) prevSinks[x.name] = x;
  fill("#sinks", s.sinks.map(x => {
    const k = "sink/" + x.name + "/";
    let health = "serving", cls = "ok";
    if (!x.serving) {
      const p = prevSinks[x.name];
      const errorsRose = p && x.sends_error > p.sends_error;
      const okRose = p && x.sends_ok > p.sends_ok;
      if (errorsRose && !okRose) { health = "failing"; cls = "bad"; }
      else if (errorsRose) { health = "some sends failing"; cls = "bad"; }
      else if (x.sends_ok === null && x.sends_error === null) { health = "not sent yet"; cls = "muted"; }
      else { health = "ok"; }
    }
    return row([el("td", x.name, null, k + "name"), el("td", x.type),
                el("td", health, cls, k + "health"), num(x.sends_ok, k + "sends_ok"),
                num(x.sends_error, k + "sends_error"), el("td", x.description, "muted")]);
  }));

  const sel = document.getElementById("tap-pipeline");
  const names = s.pipelines.map(p => p.name);
  if (sel.options.length !== names.length ||
      names.some((n, i) => sel.options[i].value !== n)) {
    const keep = sel.value;
    sel.replaceChildren(...names.map(n => { const o = el("option", n); o.value = n; return o; }));
    if (names.includes(keep)) sel.value = keep;
  }
}

async function poll() {
  try {
    const r = await fetch("/-/status", {cache: "no-store"});
    if (!r.ok) throw new Error("GET /-/status: HTTP " + r.status);
    const s = await r.json();
    const seconds = previous ? (s.time_unix_ms - previous.status.time_unix_ms) / 1000 : 0;
    render(s, seconds);
    const first = previous === null;
    previous = {status: s};
    if (first) startTapFromHash();
    document.getElementById("poll-error").textContent = "";
  } catch (e) {
    document.getElementById("poll-error").textContent = String(e.message || e);
  }
  setTimeout(poll, POLL_MS);
}

function showTap(line) {
  const out = document.getElementById("tap-out");
  let text = line;
  try {
    const o = JSON.parse(line);
    if (o.lost !== undefined) {
      text = "(" + o.lost + " records left out: the page read slower than they passed)";
    } else {
      text = o.outcome + (o.reason ? " (" + o.reason + ")" : "") + "  " + o.record;
      if (o.updates && o.updates.length) {
        text += "  ->  " + o.updates.map(u => u.metric + " " + JSON.stringify(u.labels) +
                                             " " + u.value).join(", ");
      }
    }
  } catch (e) { /* not JSON: shown as it came */ }
  out.appendChild(el("pre", text, null, "tap/line"));
}

async function startTap() {
  stopTap();
  const pipeline = document.getElementById("tap-pipeline").value;
  const limit = Math.max(1, Math.min(1000, parseInt(document.getElementById("tap-limit").value,
                                                    10) || 20));
  const state = document.getElementById("tap-state");
  document.getElementById("tap-out").replaceChildren();
  tapAbort = new AbortController();
  document.getElementById("tap-start").disabled = true;
  document.getElementById("tap-stop").disabled = false;
  state.textContent = "waiting for records of " + pipeline + "...";
  try {
    const url = "/-/tap?pipeline=" + encodeURIComponent(pipeline) + "&limit=" + limit +
                "&timeout=300";
    const r = await fetch(url, {signal: tapAbort.signal, cache: "no-store"});
    if (!r.ok) throw new Error((await r.text()).trim() || "HTTP " + r.status);
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      buf += decoder.decode(value, {stream: true});
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) showTap(line);
      }
    }
    state.textContent = "ended";
  } catch (e) {
    state.textContent = e.name === "AbortError" ? "stopped" : "tap: " + (e.message || e);
  }
  document.getElementById("tap-start").disabled = false;
  document.getElementById("tap-stop").disabled = true;
}

function stopTap() {
  if (tapAbort) tapAbort.abort();
  tapAbort = null;
}

// `#tap=PIPELINE&limit=N` in the address starts the tap view once the pipelines are known.
function startTapFromHash() {
  const h = new URLSearchParams(location.hash.replace(/^#/, ""));
  const pipeline = h.get("tap");
  if (!pipeline) return;
  const sel = document.getElementById("tap-pipeline");
  if (![...sel.options].some(o => o.value === pipeline)) return;
  sel.value = pipeline;
  if (h.get("limit")) document.getElementById("tap-limit").value = h.get("limit");
  startTap();
}

document.getElementById("tap-start").addEventListener("click", startTap);
document.getElementById("tap-stop").addEventListener("click", stopTap);
poll();
</script>
</body>
</html>
)HTML";

}  // namespace

std::string_view status_page_html() noexcept { return kStatusPageHtml; }

}  // namespace logtally::sinks
