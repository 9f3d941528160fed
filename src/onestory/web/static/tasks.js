// Technician and back-office task lists; each task opens the customer's story.
import { api, ApiError, customerNames, el, live, say, when } from "./app.js";

const table = document.getElementById("task-list");
const body = table.querySelector("tbody");
const note = document.getElementById("tasks-note");
const role = table.dataset.role;
const me = table.dataset.username;
const TEAM = { technician: "field", backoffice: "backoffice" };

async function load() {
  const scope = document.querySelector('input[name="tscope"]:checked')?.value ?? "team";
  const q = new URLSearchParams({ limit: "200" });
  for (const st of ["open", "scheduled", "en_route", "in_progress"]) q.append("status", st);
  if (scope === "mine") q.set("assignee", me);
  if (scope === "team" && TEAM[role]) q.set("team", TEAM[role]);
  try {
    const data = await api(`/v1/tasks?${q}`);
    const items = data.items;
    say(note, items.length ? "" : "No open tasks.");
    const known = await customerNames(items.map((t) => t.customer_id));
    body.replaceChildren(...items.map((t) => el("tr", { "data-task-id": t.id },
      el("td", {}, el("a", { href: `/customers/${encodeURIComponent(t.customer_id)}` }, t.title)),
      el("td", {}, t.kind ?? ""),
      el("td", {}, known.get(t.customer_id) ?? t.customer_id),
      el("td", {}, t.window_start ? `${when(t.window_start)} – ${when(t.window_end)}` : (t.due_at ? when(t.due_at) : "—")),
      el("td", {}, t.assignee ?? el("span", { class: "muted" }, "unassigned")),
      el("td", { class: t.overdue ? "late" : "" }, t.status.replaceAll("_", " ") + (t.overdue ? " (overdue)" : "")))));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) say(note, "The tasks API is not available on this server yet.");
    else say(note, e.message, true);
  }
}

for (const n of document.querySelectorAll('input[name="tscope"]')) n.addEventListener("change", load);
let pending = null;
live("all=true", (m) => { if (m.kind === "story.processed" && !pending) pending = setTimeout(() => { pending = null; load(); }, 300); });
setInterval(load, 15000);
load();
