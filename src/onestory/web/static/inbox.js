// The agent's inbox: conversations (mine / my queues / unassigned / all), live.
import { api, ApiError, ago, customerNames, el, live, say, when } from "./app.js";

const body = document.querySelector("#inbox tbody");
const note = document.getElementById("inbox-note");
const me = document.body.dataset.username;
const slaMinutes = Number(document.getElementById("inbox").dataset.slaMinutes || 15);
const scopeOf = () => document.querySelector('input[name="scope"]:checked')?.value ?? "all";

async function load() {
  const q = new URLSearchParams({ limit: "100", sort: "waiting" });
  const scope = scopeOf();
  if (scope === "mine") q.set("assignee", me);
  if (scope === "unassigned") q.set("assignee", "none");
  if (scope === "queues") q.set("in_my_queues", "true");
  const queue = document.getElementById("queue-filter").value.trim();
  if (queue) q.set("queue", queue);
  q.set("status", document.getElementById("status-filter").value || "active");
  try {
    const data = await api(`/v1/conversations?${q}`);
    const items = data.items;
    const known = await customerNames(items.map((c) => c.customer_id));
    let summary = items.length ? `${data.total} conversation${data.total === 1 ? "" : "s"}` : "Nothing waiting. New conversations appear here as they arrive.";
    if (data.my_queues) {
      summary = data.my_queues.length
        ? `${summary} · your queues: ${data.my_queues.join(", ")}`
        : "You are not a member of any queue yet; a supervisor can add you.";
    }
    say(note, summary);
    body.replaceChildren(...items.map((c) => row(c, known)));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) say(note, "The conversations API is not available on this server yet.");
    else say(note, e.message, true);
  }
}

function row(c, known) {
  const href = `/customers/${encodeURIComponent(c.customer_id)}?conversation=${encodeURIComponent(c.id)}`;
  // SLA: the customer should hear from us within the configured wait.
  const due = c.waiting_since ? new Date(new Date(c.waiting_since).getTime() + slaMinutes * 60000).toISOString() : null;
  const late = due && new Date(due).getTime() < Date.now();
  return el("tr", { "data-conversation-id": c.id },
    el("td", {}, el("a", { href }, known.get(c.customer_id) ?? c.customer_id)),
    el("td", {}, c.subject ?? c.facts?.problem?.text ?? ""),
    el("td", {}, c.channel ?? ""),
    el("td", {}, c.queue ?? ""),
    el("td", {}, c.assignee ?? el("span", { class: "muted" }, "unassigned")),
    el("td", {}, c.waiting_since ? ago(c.waiting_since) : "—"),
    el("td", { class: late ? "late" : "" }, due ? when(due) : "—"));
}

for (const n of document.querySelectorAll('input[name="scope"], #status-filter')) n.addEventListener("change", load);
document.getElementById("queue-filter").addEventListener("change", load);
let pending = null;
const socket = live("all=true", (m) => {
  if (m.kind === "subscribed" && !m.channels.includes("conversations")) socket.send({ subscribe: "conversations" });
  if ((m.kind === "conversation.updated" || m.kind === "story.processed") && !pending) pending = setTimeout(() => { pending = null; load(); }, 300);
});
setInterval(load, 15000);
load();
