// Supervisor KPIs from GET /v1/dashboard, refreshed every few seconds and on live activity.
import { api, el, live, say } from "./app.js";

const section = document.getElementById("dashboard");
const every = Number(section.dataset.refresh || 5) * 1000;
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  for (const c of children) n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return n;
}

function duration(s) {
  if (s == null) return "—";
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function setKpi(key, text) {
  const n = section.querySelector(`[data-kpi="${key}"]`);
  if (n) n.textContent = text;
}

function sentimentChart(points) {
  const W = 520, H = 180, P = 28;
  const box = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Hourly average sentiment" });
  box.append(svg("line", { x1: P, x2: W - 8, y1: H / 2, y2: H / 2, stroke: "#d5dae3" }));
  box.append(svg("text", { x: 2, y: 14, "font-size": 11, fill: "#5b6475" }, "+1"));
  box.append(svg("text", { x: 2, y: H / 2 + 4, "font-size": 11, fill: "#5b6475" }, "0"));
  box.append(svg("text", { x: 2, y: H - 4, "font-size": 11, fill: "#5b6475" }, "−1"));
  if (!points.length) { box.append(svg("text", { x: W / 2, y: H / 2 - 10, "text-anchor": "middle", fill: "#5b6475" }, "No messages in the last 24 hours")); return box; }
  const now = Date.now(), span = 24 * 3600e3;
  const x = (t) => P + ((new Date(t).getTime() - (now - span)) / span) * (W - P - 8);
  const y = (v) => H / 2 - v * (H / 2 - 10);
  const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.hour).toFixed(1)},${y(p.average).toFixed(1)}`).join(" ");
  box.append(svg("path", { d, fill: "none", stroke: "#2f5fd0", "stroke-width": 2 }));
  for (const p of points) {
    const c = svg("circle", { cx: x(p.hour).toFixed(1), cy: y(p.average).toFixed(1), r: 3, fill: p.average < -0.2 ? "#b3261e" : "#2f5fd0" });
    c.append(svg("title", {}, `${new Date(p.hour).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${p.average} over ${p.messages} messages`));
    box.append(c);
  }
  return box;
}

function intentChart(items) {
  const W = 520, row = 24, H = Math.max(60, items.length * row + 10);
  const box = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Intents trending" });
  if (!items.length) { box.append(svg("text", { x: W / 2, y: 30, "text-anchor": "middle", fill: "#5b6475" }, "No intents in the last 48 hours")); return box; }
  const max = Math.max(...items.map((i) => Math.max(i.last_24h, i.previous_24h)), 1);
  items.forEach((it, i) => {
    const y = 6 + i * row, w = (n) => (n / max) * (W - 230);
    box.append(svg("text", { x: 0, y: y + 14, "font-size": 12, fill: "#1d2433" }, it.label.slice(0, 22)));
    box.append(svg("rect", { x: 160, y: y + 2, width: w(it.previous_24h).toFixed(1), height: 7, fill: "#c9d3e6" }));
    box.append(svg("rect", { x: 160, y: y + 10, width: w(it.last_24h).toFixed(1), height: 9, fill: "#2f5fd0" }));
    const sign = it.change > 0 ? "+" : "";
    box.append(svg("text", { x: W - 60, y: y + 16, "font-size": 12, fill: it.change > 0 ? "#b3261e" : "#5b6475" }, `${it.last_24h} (${sign}${it.change})`));
  });
  return box;
}

async function refresh() {
  try {
    const d = await api("/v1/dashboard");
    const n = (v) => (v == null ? "n/a" : String(v));
    setKpi("open_conversations", n(d.open_conversations));
    setKpi("waiting_conversations", n(d.waiting_conversations));
    setKpi("oldest_wait", d.waiting_conversations == null ? "n/a" : duration(d.oldest_wait_seconds));
    setKpi("sla_breaches", n(d.sla_breaches));
    setKpi("customer_messages_24h", n(d.customer_messages_24h));
    setKpi("promise_kept_rate", d.promise_kept_rate == null ? (d.promises_kept == null ? "n/a" : "—") : `${Math.round(d.promise_kept_rate * 100)} %`);
    setKpi("promises_detail", d.promises_kept == null ? "" : `${d.promises_kept} kept · ${d.promises_broken} broken · ${d.promises_open} open`);
    setKpi("proactive_outreach", n(d.proactive_outreach));
    setKpi("avoided_contacts", d.avoided_contacts == null ? "—" : String(d.avoided_contacts));
    setKpi("avoided_detail", d.avoided_contacts == null ? "needs outreach older than 7 days" : `from ${d.avoided_reached} customers reached`);
    document.getElementById("sentiment-chart").replaceChildren(sentimentChart(d.sentiment_trend));
    document.getElementById("intent-chart").replaceChildren(intentChart(d.intents_trending));
    document.dispatchEvent(new CustomEvent("dashboard:data", { detail: d }));
    say(document.getElementById("dash-updated"), `updated ${new Date(d.generated_at).toLocaleTimeString()}`);
    say(document.getElementById("dash-unavailable"), d.unavailable.length ? `Not available yet (n/a): ${d.unavailable.join(", ")}.` : "");
  } catch (e) { say(document.getElementById("dash-updated"), e.message, true); }
}

let pending = null;
live("all=true", () => { if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 800); });
setInterval(refresh, every);
refresh();
