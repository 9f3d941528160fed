// Customer search by any identifier, plus full-text search over events.
import { api, el, when } from "./app.js";
import { insightChips } from "./story.js";

const form = document.getElementById("search-form");
const box = document.getElementById("q");
const customers = document.getElementById("customers");
const events = document.getElementById("events");

async function run(q) {
  if (!q.trim()) return;
  history.replaceState(null, "", `/search?q=${encodeURIComponent(q)}`);
  customers.replaceChildren(el("li", { class: "muted" }, "Searching…"));
  events.replaceChildren();
  const [cs, es] = await Promise.all([
    api(`/v1/customers?q=${encodeURIComponent(q)}&limit=20`),
    api(`/v1/search/events?q=${encodeURIComponent(q)}&limit=20`).catch(() => ({ items: [] })),
  ]);
  customers.replaceChildren(...(cs.items.length ? cs.items.map((c) => el("li", {},
    el("a", { href: `/customers/${encodeURIComponent(c.id)}` }, c.display_name || c.identities[0]?.value || c.id),
    el("span", { class: "muted small" }, " · ", c.identities.map((i) => `${i.kind}: ${i.value}`).join(", "),
      c.last_seen ? ` · last seen ${when(c.last_seen)}` : ""))) : [el("li", { class: "muted" }, "No customer matches.")]));
  events.replaceChildren(...(es.items.length ? es.items.map((h) => el("li", {},
    el("a", { href: `/customers/${encodeURIComponent(h.customer_id ?? "")}` }, h.event.type),
    el("span", { class: "muted small" }, ` · ${when(h.event.occurred_at)} · ${h.event.channel ?? h.event.source}`),
    el("p", { class: "ev-text" }, h.event.payload?.text ?? ""), insightChips(h.event.insights))) : [el("li", { class: "muted" }, "No message matches.")]));
}

form.addEventListener("submit", (e) => { e.preventDefault(); run(box.value).catch((err) => customers.replaceChildren(el("li", { class: "error" }, err.message))); });
if (box.value) run(box.value).catch(console.error);
