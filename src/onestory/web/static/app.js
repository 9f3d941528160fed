// Shared helpers: the JSON API with the session cookie + CSRF header, live updates, DOM.
export const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
  const data = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Build an element; children are nodes or strings (always text, never HTML).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

export function ago(iso) {
  if (!iso) return "";
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

// One WebSocket to /v1/live, reconnecting with back-off; the status dot shows its state.
export function live(params, onMessage) {
  const status = document.getElementById("live-status");
  if (status) status.hidden = false;
  let delay = 500, ws;
  const connect = () => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/v1/live?${params}`);
    ws.onopen = () => { delay = 500; if (status) { status.textContent = "live"; status.classList.add("on"); } };
    ws.onmessage = (m) => { try { onMessage(JSON.parse(m.data)); } catch (e) { console.error(e); } };
    ws.onclose = () => {
      if (status) { status.textContent = "offline"; status.classList.remove("on"); }
      setTimeout(connect, delay); delay = Math.min(delay * 2, 10000);
    };
  };
  connect();
  return { send: (obj) => ws?.readyState === 1 && ws.send(JSON.stringify(obj)) };
}

export function say(node, text, isError = false) {
  if (!node) return;
  node.textContent = text;
  node.classList.toggle("error", isError);
}

// Display names, fetched once per customer (list endpoints answer ids only).
const names = new Map();
export async function customerNames(ids) {
  const missing = [...new Set(ids)].filter((id) => !names.has(id)).slice(0, 50);
  await Promise.all(missing.map(async (id) => {
    try {
      const p = await api(`/v1/customers/${encodeURIComponent(id)}`);
      names.set(id, p.display_name || p.identities.find((i) => i.kind === "email")?.value || id);
    } catch { names.set(id, id); }
  }));
  return names;
}
