// Rendering one story item (an event with its AI insights) for the timeline.
import { el, when } from "./app.js";

const HIDDEN = new Set(["text", "subject", "_redaction", "attachments", "author", "author_id"]);

export function insightChips(insights = []) {
  const chips = [];
  const by = Object.fromEntries(insights.map((i) => [i.kind, i]));
  const tip = (i) => `${i.explanation ?? ""} (${i.model} ${i.model_version}${i.confidence != null ? `, confidence ${Math.round(i.confidence * 100)}%` : ""})`;
  if (by.intent?.value?.label) chips.push(el("span", { class: "chip", title: tip(by.intent) }, `intent: ${by.intent.value.label}`));
  if (by.sentiment?.value?.label) {
    const s = by.sentiment.value;
    chips.push(el("span", { class: `chip ${s.label}`, title: tip(by.sentiment) }, `sentiment: ${s.label}`));
  }
  if (by.emotion?.value?.label) chips.push(el("span", { class: "chip", title: tip(by.emotion) }, `emotion: ${by.emotion.value.label}`));
  if (by.language?.value?.code) chips.push(el("span", { class: "chip", title: tip(by.language) }, `lang: ${by.language.value.code}`));
  if (by.effort?.value?.level) chips.push(el("span", { class: "chip", title: tip(by.effort) }, `effort: ${by.effort.value.level}`));
  const pii = by.pii?.value;
  const kinds = pii?.kinds ?? (pii?.spans ?? []).map((s) => s.kind ?? s.label).filter(Boolean);
  if (kinds?.length) chips.push(el("span", { class: "chip pii", title: "Personal data was masked before storage" }, `masked: ${[...new Set(kinds)].join(", ")}`));
  return chips.length ? el("div", { class: "chips" }, chips) : null;
}

function details(payload = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(payload)) {
    // Ids are for machines; the chips and links carry what a person needs.
    if (HIDDEN.has(k) || k === "id" || k.endsWith("_id") || v === null || typeof v === "object") continue;
    parts.push(`${k}: ${v}`);
    if (parts.length >= 4) break;
  }
  return parts.length ? el("div", { class: "muted small" }, parts.join(" · ")) : null;
}

// Bookkeeping a person rarely needs on the timeline (the conversation panel shows it).
const ROUTINE = /^(conversation\.(status_changed|assigned|opened)|message\.(delivered|read|status|failed_delivery))$/;

export function storyItem(ev) {
  const text = ev.payload?.text ?? ev.payload?.subject;
  return el(
    "li",
    { "data-event-id": ev.id, class: ROUTINE.test(ev.type) ? "routine" : null },
    el("div", { class: "ev-head" },
      el("span", { class: "ev-type" }, ev.type), " · ", ev.channel ?? ev.source, " · ",
      el("time", { datetime: ev.occurred_at }, when(ev.occurred_at))),
    text ? el("p", { class: "ev-text" }, text) : null,
    details(ev.payload),
    insightChips(ev.insights),
  );
}
