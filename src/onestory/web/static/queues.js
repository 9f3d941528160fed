// Queue membership editor on the supervisor page: every queue with its load and members,
// add (PUT) and remove (DELETE) with the session's CSRF token, redrawn without a reload.
import { api, el, say } from "./app.js";

const section = document.getElementById("queues");
const rows = document.getElementById("queue-rows");
const status = document.getElementById("queues-status");
const form = document.getElementById("queue-add");
const queueInput = document.getElementById("qa-queue");
const userSelect = document.getElementById("qa-user");
const datalist = document.getElementById("qa-queues");
const routed = (section.dataset.routed || "").split("\n").filter(Boolean);

let members = [];   // [{queue, username, display_name, role, disabled}]
let load = new Map(); // queue -> {open, waiting}
let busy = false;
const seen = new Set(routed); // every queue shown so far

const path = (queue, username) =>
  `/v1/queues/${encodeURIComponent(queue)}/members/${encodeURIComponent(username)}`;

function problem(e) {
  const fields = e.problem?.errors?.map((f) => f.message).filter(Boolean) ?? [];
  return [e.message, ...fields].join(": ");
}

let drawn = "";

function render(focusKey) {
  // Periodic refreshes redraw only on change, and keep the focused control focused.
  const signature = JSON.stringify([members, [...load.entries()]]);
  if (!focusKey && signature === drawn) return;
  drawn = signature;
  const active = document.activeElement;
  if (!focusKey && active && rows.contains(active)) focusKey = active.dataset.key || active.getAttribute("aria-label");
  // A queue whose last member was removed stays listed until the page is left.
  for (const q of [...load.keys(), ...members.map((m) => m.queue)]) seen.add(q);
  const byQueue = new Map([...seen].map((q) => [q, []]));
  for (const m of members) byQueue.get(m.queue).push(m);
  const names = [...byQueue.keys()].sort((a, b) => a.localeCompare(b));
  datalist.replaceChildren(...names.map((q) => el("option", { value: q })));
  if (!names.length) {
    rows.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No queues yet.")));
    return;
  }
  rows.replaceChildren(...names.map((queue) => {
    const people = byQueue.get(queue);
    const l = load.get(queue) ?? { open: 0, waiting: 0 };
    const unstaffed = !people.length && l.waiting > 0;
    return el("tr", { "data-queue": queue },
      el("th", { scope: "row" }, queue),
      el("td", {}, String(l.open)),
      el("td", {}, String(l.waiting)),
      el("td", {},
        people.length
          ? el("ul", { class: "members", "aria-label": `Members of ${queue}` }, people.map((m) =>
            el("li", { "data-username": m.username },
              el("span", { title: `${m.username} · ${m.role}` }, m.display_name || m.username),
              m.disabled ? el("span", { class: "chip negative" }, "disabled") : null,
              el("button", {
                type: "button",
                "aria-label": `Remove ${m.display_name || m.username} from ${queue}`,
                title: `Remove from ${queue}`,
                "data-key": `${queue}\n${m.username}`,
                onclick: () => remove(queue, m),
              }, "×"))))
          : el("span", { class: unstaffed ? "chip negative" : "muted" },
            unstaffed ? "nobody works this queue" : "no members")),
      el("td", {}, el("button", {
        type: "button", class: "link",
        "aria-label": `Add someone to ${queue}`,
        onclick: () => { queueInput.value = queue; userSelect.focus(); },
      }, "Add someone")));
  }));
  if (focusKey) {
    const target = [...rows.querySelectorAll("button")]
      .find((b) => b.dataset.key === focusKey || b.getAttribute("aria-label") === focusKey);
    (target ?? status).focus();
  }
}

async function loadMembers() {
  members = (await api("/v1/queues/members")).items;
}

async function refresh(focusKey) {
  try { await loadMembers(); render(focusKey); }
  catch (e) { say(status, `Could not load the queues: ${problem(e)}`, true); }
}

async function remove(queue, m) {
  if (busy) return;
  busy = true;
  // Keep the keyboard where it was: the next member's button, else the status line.
  const here = [...rows.querySelectorAll("button[data-key]")];
  const at = here.findIndex((b) => b.dataset.key === `${queue}\n${m.username}`);
  const next = here[at + 1]?.dataset.key ?? here[at - 1]?.dataset.key;
  try {
    await api(path(queue, m.username), { method: "DELETE" });
    say(status, `Removed ${m.display_name || m.username} from ${queue}.`);
    await refresh(next);
  } catch (e) {
    say(status, `Could not remove ${m.username} from ${queue}: ${problem(e)}`, true);
  } finally { busy = false; }
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const queue = queueInput.value.trim(), username = userSelect.value;
  if (!queue) { say(status, "Name the queue.", true); queueInput.focus(); return; }
  if (!username) { say(status, "Choose a person.", true); userSelect.focus(); return; }
  if (busy) return;
  busy = true;
  try {
    const r = await api(path(queue, username), { method: "PUT" });
    const who = r.display_name || r.username;
    say(status, r.created ? `Added ${who} to ${r.queue}.` : `${who} already works ${r.queue}.`);
    userSelect.value = "";
    await refresh();
    userSelect.focus();
  } catch (err) {
    say(status, `Could not add ${username} to ${queue}: ${problem(err)}`, true);
  } finally { busy = false; }
});

// The dashboard refresh (periodic and on live activity) brings the per-queue load; members
// are re-read with it so another supervisor's changes show up too.
document.addEventListener("dashboard:data", (ev) => {
  load = new Map((ev.detail.queues ?? []).map((q) => [q.queue, q]));
  if (!busy) refresh();
});
refresh();
