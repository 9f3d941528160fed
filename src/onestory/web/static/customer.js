// The one screen: profile, conversation + composer, timeline (live), and the story summary.
import { api, ApiError, el, live, say, when } from "./app.js";
import { storyItem } from "./story.js";

const root = document.querySelector(".story-layout");
const customerId = root.dataset.customerId;
let conversationId = root.dataset.conversationId || null;
const timeline = document.getElementById("timeline");
const messages = document.getElementById("messages");
let cursor = null;

function notAvailable(node, what) {
  node.replaceChildren(el("span", { class: "muted" }, `${what} is not available on this server yet.`));
}

async function loadStory(more = false) {
  const q = new URLSearchParams({ limit: "50" });
  if (more && cursor) q.set("cursor", cursor);
  const page = await api(`/v1/customers/${encodeURIComponent(customerId)}/story?${q}`);
  if (!more) renderProfile(page.profile);
  for (const ev of page.items) upsert(ev, false);
  cursor = page.next_cursor;
  document.getElementById("more").hidden = !cursor;
}

function renderProfile(p) {
  const name = p.display_name || p.identities.find((i) => i.kind === "email")?.value || p.id;
  document.getElementById("cust-name").textContent = name;
  document.title = `${name} · OneStory`;
  const channels = Object.entries(p.counts_by_channel).map(([c, n]) => `${c} ${n}`).join(", ");
  document.getElementById("cust-meta").textContent =
    `${p.total_events} events${channels ? ` (${channels})` : ""} · customer since ${when(p.first_seen)}`;
  document.getElementById("identities").replaceChildren(
    ...p.identities.map((i) => el("li", {}, el("span", { class: "chip" }, i.kind), " ", i.value)),
  );
  const t = p.traits || {};
  const consent = t.consent ?? t.preferences;
  if (consent) document.getElementById("consent").textContent = JSON.stringify(consent);
  const churn = t.churn_risk ?? t.churn;
  if (churn != null) document.getElementById("churn").textContent = typeof churn === "object" ? JSON.stringify(churn) : String(churn);
}

// Newest first; an item seen again (recorded, then processed with insights) is replaced.
function upsert(ev, fresh) {
  const node = storyItem(ev);
  const old = timeline.querySelector(`[data-event-id="${CSS.escape(ev.id)}"]`);
  if (old) { old.replaceWith(node); return; }
  if (fresh) node.classList.add("fresh");
  const t = new Date(ev.occurred_at).getTime();
  for (const li of timeline.children) {
    const other = li.querySelector("time")?.getAttribute("datetime");
    if (other && new Date(other).getTime() < t) { timeline.insertBefore(node, li); return; }
  }
  timeline.append(node);
}

// ---- conversation (conversations API) -------------------------------------------------
async function loadConversation() {
  try {
    if (!conversationId) {
      const list = await api(`/v1/conversations?customer_id=${encodeURIComponent(customerId)}&limit=1`);
      conversationId = (list.items ?? list)[0]?.id ?? null;
    }
    if (!conversationId) { say(document.getElementById("conv-meta"), "No conversation yet."); return; }
    const conv = await api(`/v1/conversations/${encodeURIComponent(conversationId)}`);
    renderConversation(conv);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) notAvailable(document.getElementById("conv-meta"), "The conversations API");
    else throw e;
  }
}

function renderConversation(conv) {
  const meta = [conv.status, conv.queue && `queue ${conv.queue}`, conv.assignee && `assigned to ${conv.assignee}`]
    .filter(Boolean).join(" · ");
  say(document.getElementById("conv-meta"), meta);
  const select = document.getElementById("reply-channel");
  const channels = conv.channels?.length ? conv.channels : [conv.channel ?? "chat"];
  select.replaceChildren(...channels.map((c) => el("option", { value: c, selected: c === conv.channel }, c)));
  messages.replaceChildren(...(conv.messages ?? []).map(messageItem));
  messages.scrollTop = messages.scrollHeight;
}

function messageItem(m) {
  const dir = m.direction === "outbound" ? "outbound" : "inbound";
  return el("li", { class: `msg ${dir}`, "data-event-id": m.event_id ?? m.id },
    el("span", { class: "meta" }, `${m.author ?? dir} · ${m.channel ?? ""} · ${when(m.occurred_at)}`),
    m.text ?? "");
}

function addMessageFromEvent(ev) {
  if (!ev.type?.startsWith("message.")) return;
  if (messages.querySelector(`[data-event-id="${CSS.escape(ev.id)}"]`)) return;
  const out = ev.type === "message.sent";
  messages.append(messageItem({
    event_id: ev.id, direction: out ? "outbound" : "inbound", author: ev.payload?.author ?? (out ? "agent" : "customer"),
    channel: ev.channel, occurred_at: ev.occurred_at, text: ev.payload?.text,
  }));
  messages.scrollTop = messages.scrollHeight;
}

document.getElementById("reply-template").addEventListener("change", (e) => {
  const box = document.getElementById("reply-text");
  if (e.target.value) box.value = box.value ? `${box.value}\n${e.target.value}` : e.target.value;
  box.focus();
});
document.getElementById("reply-text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) document.getElementById("composer").requestSubmit();
});
document.getElementById("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const status = document.getElementById("composer-status");
  const box = document.getElementById("reply-text");
  if (!conversationId) { say(status, "There is no conversation to reply to.", true); return; }
  try {
    say(status, "Sending…");
    const res = await api(`/v1/conversations/${encodeURIComponent(conversationId)}/reply`, {
      method: "POST", body: { text: box.value, channel: document.getElementById("reply-channel").value || undefined },
    });
    box.value = "";
    say(status, "Sent.");
    if (res?.event) addMessageFromEvent(res.event);
  } catch (err) { say(status, err.message, true); }
});
document.getElementById("handoff").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = {
    queue: document.getElementById("handoff-queue").value || undefined,
    assignee: document.getElementById("handoff-assignee").value || undefined,
    note: document.getElementById("handoff-note").value || undefined,
  };
  const status = document.getElementById("composer-status");
  try {
    const conv = await api(`/v1/conversations/${encodeURIComponent(conversationId)}/transfer`, { method: "POST", body });
    say(status, "Transferred.");
    if (conv?.id) renderConversation(conv);
  } catch (err) { say(status, err.message, true); }
});

// ---- what happened / promised / next (story summary + cases API) -------------------------
async function loadSummary() {
  try {
    const s = await api(`/v1/customers/${encodeURIComponent(customerId)}/story/summary`);
    const happened = s.what_happened ?? s.happened ?? [];
    const next = s.what_next ?? s.next ?? [];
    const lines = (x) => (Array.isArray(x) ? x : [x]).filter(Boolean).map((i) => el("li", {}, typeof i === "string" ? i : (i.text ?? i.title ?? i.what ?? JSON.stringify(i))));
    document.getElementById("what-happened").replaceChildren(el("ul", { class: "plain" }, lines(happened)));
    document.getElementById("what-next").replaceChildren(el("ul", { class: "plain" }, lines(next)));
    renderPromises(s.promises ?? s.what_was_promised ?? []);
    renderTasks(s.tasks ?? s.open_tasks ?? []);
    const signals = s.signals ?? [];
    document.getElementById("signals").replaceChildren(...signals.map((g) => el("li", {}, el("span", { class: "chip" }, g.severity ?? ""), " ", g.kind ?? g.label ?? "")));
    if (s.churn_risk != null) document.getElementById("churn").textContent = typeof s.churn_risk === "object" ? `${s.churn_risk.level ?? ""} ${s.churn_risk.score ?? ""}` : String(s.churn_risk);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && !e.problem?.detail?.includes("customer")) {
      notAvailable(document.getElementById("what-happened"), "The story summary");
    } else if (!(e instanceof ApiError)) throw e;
  }
}

function renderPromises(items) {
  document.getElementById("promises").replaceChildren(...items.map((p) =>
    el("li", { "data-promise-id": p.id }, el("span", { class: `chip ${p.status === "broken" ? "negative" : p.status === "kept" ? "positive" : ""}` }, p.status ?? "open"), " ",
      p.what ?? p.text, p.due_by ? el("span", { class: "muted small" }, ` · due ${when(p.due_by)}`) : null)));
}

function renderTasks(items) {
  document.getElementById("tasks").replaceChildren(...items.map((t) =>
    el("li", {}, el("span", { class: "chip" }, t.kind ?? "task"), " ", t.title, t.team ? el("span", { class: "muted small" }, ` · ${t.team}`) : null)));
}

document.getElementById("promise-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const status = document.getElementById("promise-status");
  const due = document.getElementById("promise-due").value;
  try {
    await api(`/v1/promises`, {
      method: "POST",
      body: {
        customer_id: customerId, what: document.getElementById("promise-what").value,
        kind: document.getElementById("promise-kind").value,
        due_by: new Date(due).toISOString(), conversation_id: conversationId || undefined,
      },
    });
    say(status, "Promise recorded.");
    document.getElementById("promise-what").value = "";
    await loadSummary();
  } catch (err) { say(status, err.message, true); }
});

document.getElementById("more").addEventListener("click", () => loadStory(true));
const dueBox = document.getElementById("promise-due");
const tomorrow = new Date(Date.now() + 86400000);
dueBox.value = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000).toISOString().slice(0, 16);

live(`customer_id=${encodeURIComponent(customerId)}`, (msg) => {
  if (msg.kind === "story.recorded" || msg.kind === "story.processed") {
    upsert(msg.event, true);
    addMessageFromEvent(msg.event);
    if (msg.kind === "story.processed") loadSummary().catch(console.error);
  }
});
await loadStory();
await Promise.all([loadConversation(), loadSummary()]);
