// The agent's inbox: conversations (mine / my queues / unassigned / all), live.
import { api, ApiError, ago, el, live, say, when } from "./app.js";

const body = document.querySelector("#inbox tbody");
const note = document.getElementById("inbox-note");
const scopeOf = () => document.querySelector('input[name="scope"]:checked')?.value ?? "all";

async function load() {
  const q = new URLSearchParams({ limit: "100" });
  const scope = scopeOf();
  if (scope !== "all") q.set("scope", scope);
  const queue = document.getElementById("queue-filter").value.trim();
  if (queue) q.set("queue", queue);
  const status = document.getElementById("status-filter").value;
  if (status) q.set("status", status);
  try {
    const data = await api(`/v1/conversations?${q}`);
    const items = data.items ?? data;
    say(note, items.length ? "" : "Nothing waiting. New conversations appear here as they arrive.");
    body.replaceChildren(...items.map(row));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) say(note, "The conversations API is not available on this server yet.");
    else say(note, e.message, true);
  }
}

function row(c) {
  const href = `/customers/${encodeURIComponent(c.customer_id)}?conversation=${encodeURIComponent(c.id)}`;
  const due = c.sla_due_at ?? c.sla_due;
  const late = due && new Date(due).getTime() < Date.now();
  return el("tr", { "data-conversation-id": c.id },
    el("td", {}, el("a", { href }, c.customer_name ?? c.customer?.display_name ?? c.customer_id)),
    el("td", {}, c.subject ?? c.last_message?.text ?? ""),
    el("td", {}, c.channel ?? ""),
    el("td", {}, c.queue ?? ""),
    el("td", {}, c.assignee ?? el("span", { class: "muted" }, "unassigned")),
    el("td", {}, c.waiting_since ? ago(c.waiting_since) : "—"),
    el("td", { class: late ? "late" : "" }, due ? when(due) : "—"));
}

for (const n of document.querySelectorAll('input[name="scope"], #status-filter')) n.addEventListener("change", load);
document.getElementById("queue-filter").addEventListener("change", load);
let pending = null;
live("all=true", (m) => {
  if (m.kind === "story.processed" && !pending) pending = setTimeout(() => { pending = null; load(); }, 300);
});
setInterval(load, 15000);
load();
