// The one screen: profile, conversation + composer, timeline (live), and the story summary.
import { api, ApiError, el, live, say, when } from "./app.js";
import { storyItem } from "./story.js";

const root = document.querySelector(".story-layout");
const customerId = root.dataset.customerId;
let conversationId = root.dataset.conversationId || null;
const timeline = document.getElementById("timeline");
const me = document.body.dataset.username;
const messages = document.getElementById("messages");
const olderButton = document.getElementById("older-messages");
let cursor = null;
// The conversation opens on its newest messages; older pages load on scroll to the top.
const MESSAGE_PAGE = 50;
let olderCursor = null;
let loadingOlder = false;

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
  const channels = Object.entries(p.counts_by_channel).map(([c, n]) => `${c === "none" ? "other" : c} ${n}`).join(", ");
  document.getElementById("cust-meta").textContent =
    `${p.total_events} events${channels ? ` (${channels})` : ""} · customer since ${when(p.first_seen)}`;
  document.getElementById("identities").replaceChildren(
    ...p.identities.map((i) => el("li", {}, el("span", { class: "chip" }, i.kind), " ", i.value)),
  );
}

// Emails a chat visitor typed but never proved: the agent must not treat them as the owner.
async function loadClaims() {
  const node = document.getElementById("claims");
  const data = await api(`/v1/channels/widget/claims?customer_id=${encodeURIComponent(customerId)}`).catch(() => null);
  const open = (data?.items ?? []).filter((c) => !c.verified);
  node.hidden = !open.length;
  if (!open.length) return;
  node.replaceChildren(
    el("span", { class: "chip negative" }, "unverified"),
    ` Claims to be ${open.map((c) => c.email).join(", ")} — not proven. Do not disclose account details; the visitor can verify from the chat.`,
  );
}

// Consent per purpose and channel, and contact preferences (proactive domain's API).
async function loadConsent() {
  const id = encodeURIComponent(customerId);
  const [consents, prefs] = await Promise.all([
    api(`/v1/customers/${id}/consents`).catch(() => null),
    api(`/v1/customers/${id}/contact-preferences`).catch(() => null),
  ]);
  const node = document.getElementById("consent");
  const items = [];
  if (prefs) {
    const bits = [prefs.preferred_channel && `prefers ${prefs.preferred_channel}`, prefs.language && `language ${prefs.language}`, prefs.timezone].filter(Boolean);
    if (bits.length) items.push(el("li", {}, bits.join(" · ")));
  }
  for (const c of consents ?? []) {
    items.push(el("li", {}, el("span", { class: `chip ${c.granted ? "positive" : "negative"}` }, c.granted ? "yes" : "no"), ` ${c.purpose} by ${c.channel}`));
  }
  node.replaceChildren(items.length ? el("ul", { class: "plain" }, items) : el("span", { class: "muted" }, consents === null ? "not available" : "nothing recorded"));
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
      conversationId = list.items[0]?.id ?? null;
    }
    if (!conversationId) { say(document.getElementById("conv-meta"), "No conversation yet."); return; }
    const conv = await api(`/v1/conversations/${encodeURIComponent(conversationId)}?limit=${MESSAGE_PAGE}`);
    renderConversation(conv);
    setOlder(conv.older_cursor);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) notAvailable(document.getElementById("conv-meta"), "The conversations API");
    else throw e;
  }
}

function renderConversation(conv) {
  const meta = [conv.status?.replaceAll("_", " "), conv.queue && `queue ${conv.queue}`,
    conv.assignee ? `assigned to ${conv.assignee}` : "unassigned",
    conv.waiting_since && `waiting ${Math.round((conv.waiting_seconds ?? 0) / 60)} min`]
    .filter(Boolean).join(" · ");
  say(document.getElementById("conv-meta"), meta);
  const note = conv.notes?.at(-1);
  const noteNode = document.getElementById("conv-note");
  noteNode.hidden = !note;
  if (note) noteNode.textContent = `Hand-off note (${note.kind ?? ""}${note.who ? `, ${note.who}` : ""}): ${note.why ?? note.note ?? ""}`;
  if (!conv.messages) return;
  const select = document.getElementById("reply-channel");
  const channels = conv.channels?.length ? conv.channels : [conv.channel ?? "chat"];
  select.replaceChildren(...channels.map((c) => el("option", { value: c, selected: c === conv.channel }, c)));
  messages.replaceChildren(...(conv.messages ?? []).map(messageItem));
  messages.scrollTop = messages.scrollHeight;
}

function setOlder(next) {
  olderCursor = next ?? null;
  olderButton.hidden = !olderCursor;
}

async function loadOlder() {
  if (!olderCursor || loadingOlder || !conversationId) return;
  loadingOlder = true;
  try {
    const q = new URLSearchParams({ limit: String(MESSAGE_PAGE), before: olderCursor });
    const page = await api(`/v1/conversations/${encodeURIComponent(conversationId)}/messages?${q}`);
    // Keep what the agent is looking at in place while older messages go in above it.
    const fromBottom = messages.scrollHeight - messages.scrollTop;
    const fresh = page.items.filter((m) => !messages.querySelector(`[data-event-id="${CSS.escape(m.event_id)}"]`));
    messages.prepend(...fresh.map(messageItem));
    messages.scrollTop = messages.scrollHeight - fromBottom;
    setOlder(page.older_cursor);
  } finally {
    loadingOlder = false;
  }
}

function messageItem(m) {
  const dir = m.direction === "outbound" ? "outbound" : "inbound";
  const status = m.status && dir === "outbound" ? ` · ${m.status}` : "";
  return el("li", { class: `msg ${dir}`, "data-event-id": m.event_id ?? m.id },
    el("span", { class: "meta" }, `${m.author_id ?? m.author ?? dir} · ${m.channel ?? ""} · ${when(m.occurred_at)}${status}`),
    m.text ?? "");
}

function upsertMessage(m) {
  const node = messageItem(m);
  const old = messages.querySelector(`[data-event-id="${CSS.escape(m.event_id)}"]`);
  if (old) old.replaceWith(node); else messages.append(node);
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
    await api(`/v1/conversations/${encodeURIComponent(conversationId)}/reply`, {
      method: "POST",
      body: { text: box.value, channel: document.getElementById("reply-channel").value || undefined },
    });
    box.value = "";
    say(status, "Sent.");
  } catch (err) { say(status, err.message, true); }
});
document.getElementById("handoff").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = {
    to_queue: document.getElementById("handoff-queue").value || undefined,
    to_assignee: document.getElementById("handoff-assignee").value || undefined,
    reason: document.getElementById("handoff-reason").value,
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
  let s;
  try {
    s = await api(`/v1/customers/${encodeURIComponent(customerId)}/story/summary`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && !e.problem?.detail?.includes("cus")) {
      notAvailable(document.getElementById("what-happened"), "The story summary");
      return;
    }
    throw e;
  }
  const h = s.what_happened;
  const happened = [
    ...h.open_cases.map((c) => el("li", {}, el("span", { class: "chip" }, `case ${c.status}`), " ", c.title)),
    ...h.recent_key_events.map((k) => el("li", {}, el("span", { class: "muted small" }, `${when(k.occurred_at)} · `), k.summary || k.type)),
  ];
  document.getElementById("what-happened").replaceChildren(
    happened.length ? el("ul", { class: "plain" }, happened) : el("span", { class: "muted" }, "Nothing notable yet."));
  const p = s.what_was_promised;
  renderPromises([...p.open, ...p.broken, ...p.kept], p.kept_rate);
  const next = s.what_next;
  document.getElementById("what-next").replaceChildren(next.next_step
    ? el("div", {}, el("strong", {}, next.next_step.action), el("div", { class: "muted small" }, next.next_step.reason ?? ""))
    : el("span", { class: "muted" }, "No next step suggested."));
  renderTasks(next.open_tasks);
  const churn = h.recent_signals.find((g) => g.kind === "churn_risk");
  document.getElementById("churn").replaceChildren(churn
    ? el("span", {}, el("span", { class: `chip ${churn.severity === "high" ? "negative" : ""}` }, churn.severity),
        ` churn risk${churn.evidence?.score != null ? ` ${Math.round(churn.evidence.score * 100)} %` : ""} · ${when(churn.detected_at)}`)
    : el("span", { class: "muted" }, "no churn-risk signal"));
  document.getElementById("signals").replaceChildren(...h.recent_signals.map((g) =>
    el("li", {}, el("span", { class: `chip ${g.severity === "high" ? "negative" : ""}` }, g.severity), " ", g.kind.replaceAll("_", " "),
      el("span", { class: "muted small" }, ` · ${when(g.detected_at)}`))));
}

function renderPromises(items, rate) {
  document.getElementById("promise-rate").textContent = rate == null ? "" : `kept rate ${Math.round(rate * 100)} %`;
  document.getElementById("promises").replaceChildren(...items.map((p) =>
    el("li", { "data-promise-id": p.id }, el("span", { class: `chip ${p.status === "broken" ? "negative" : p.status === "kept" ? "positive" : ""}` }, p.status ?? "open"), " ",
      p.what ?? p.text, p.due_by ? el("span", { class: "muted small" }, ` · due ${when(p.due_by)}`) : null)));
}

function renderTasks(items) {
  document.getElementById("tasks").replaceChildren(...items.map((t) =>
    el("li", { "data-task-id": t.id }, el("span", { class: `chip ${t.overdue ? "negative" : ""}` }, t.kind ?? "task"), " ", t.title,
      el("span", { class: "muted small" }, ` · ${t.status}${t.team ? ` · ${t.team}` : ""}${t.assignee ? ` · ${t.assignee}` : ""}`))));
}

document.getElementById("promise-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const status = document.getElementById("promise-status");
  const what = document.getElementById("promise-what").value;
  const kind = document.getElementById("promise-kind").value;
  const team = document.getElementById("promise-team").value;
  const due = new Date(document.getElementById("promise-due").value).toISOString();
  try {
    if (team) {
      // Work for a team: the task carries the promise, so keeping it is tracked with the task.
      await api("/v1/tasks", {
        method: "POST",
        body: { customer_id: customerId, kind: kind === "shipment" ? "other" : kind, title: what, team, due_at: due, promise: what },
      });
    } else {
      await api("/v1/promises", { method: "POST", body: { customer_id: customerId, what, kind, who: me, due_by: due } });
    }
    say(status, team ? `Promise recorded and a ${team} task created.` : "Promise recorded.");
    document.getElementById("promise-what").value = "";
    await loadSummary();
  } catch (err) { say(status, err.message, true); }
});

document.getElementById("more").addEventListener("click", () => loadStory(true));
olderButton.addEventListener("click", () => loadOlder().catch(console.error));
messages.addEventListener("scroll", () => { if (messages.scrollTop < 40) loadOlder().catch(console.error); });
document.getElementById("show-routine").addEventListener("change", (e) => timeline.classList.toggle("show-routine", e.target.checked));
const dueBox = document.getElementById("promise-due");
const tomorrow = new Date(Date.now() + 86400000);
dueBox.value = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000).toISOString().slice(0, 16);

live(`customer_id=${encodeURIComponent(customerId)}`, (msg) => {
  if (msg.kind === "story.recorded" || msg.kind === "story.processed") {
    upsert(msg.event, true);
    if (msg.kind === "story.processed") loadSummary().catch(console.error);
  } else if (msg.kind === "conversation.message") {
    if (!conversationId) { conversationId = msg.conversation_id; loadConversation().catch(console.error); }
    else if (msg.conversation_id === conversationId) upsertMessage(msg.message);
  } else if (msg.kind === "conversation.updated" && msg.conversation?.id === conversationId) {
    renderConversation(msg.conversation);
  }
});
await loadStory();
await Promise.all([loadConversation(), loadSummary(), loadConsent(), loadClaims()]);
