/* OneStory chat widget. Served by OneStory itself (no CDN).
 *
 *   <script src="https://support.example.com/v1/widget/widget.js" defer
 *           data-onestory-title="Chat with us"
 *           data-user-id="42" data-user-hash="HMAC-SHA256(widget_secret, '42') in hex"
 *           data-email="ada@example.com"
 *           data-email-hash="HMAC-SHA256(widget_secret, 'email:ada@example.com') in hex"
 *           data-name="Ada"></script>
 *
 * Every data-* attribute is optional. The page's origin must be allowed
 * (ONESTORY_CHANNELS__WIDGET_ORIGINS or PUT /v1/channels/widget/origins). An email without
 * its host signature, or typed by the visitor, is only a claim: the chat stays the visitor's
 * own until they enter the one-time code emailed to that address; then their earlier
 * conversation appears. window.OneStoryWidget exposes open(), close(), send(text),
 * identify(email, name), requestCode(), verify(code).
 */
(function () {
  "use strict";
  if (window.OneStoryWidget) return;
  var script = document.currentScript || document.querySelector('script[src*="/v1/widget/widget.js"]');
  var base = new URL(script.src, location.href).origin;
  var cfg = script.dataset || {};
  var KEY = "onestory.widget.visitor";
  var state = { token: null, ws: null, seen: {}, open: false, retry: 500, typingTimer: null, claim: null };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }

  var css = "#os-w{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px system-ui,sans-serif}" +
    "#os-w button.os-b{border:0;border-radius:24px;padding:12px 18px;background:#1f5eff;color:#fff;cursor:pointer}" +
    "#os-p{display:none;width:320px;height:440px;background:#fff;border:1px solid #ccd;border-radius:12px;box-shadow:0 8px 30px #0003;flex-direction:column;overflow:hidden}" +
    "#os-p.on{display:flex}#os-h{padding:10px 12px;background:#1f5eff;color:#fff;font-weight:600}" +
    "#os-m{flex:1;overflow:auto;padding:10px}.os-msg{margin:6px 0;padding:8px 10px;border-radius:10px;max-width:80%;white-space:pre-wrap}" +
    ".os-in{background:#eef;margin-left:auto}.os-out{background:#f2f2f2}#os-t{font-size:12px;color:#667;padding:0 10px;height:16px}" +
    "#os-f{display:flex;border-top:1px solid #ddd}#os-f input{flex:1;border:0;padding:10px}#os-f button{border:0;background:none;color:#1f5eff;padding:0 12px;cursor:pointer}" +
    "#os-v{display:none;padding:8px 10px;background:#fff8e0;border-bottom:1px solid #eadca8;font-size:13px}#os-v.on{display:block}" +
    "#os-v input{width:90px;margin:4px 6px 0 0;padding:4px;letter-spacing:2px}#os-v button{border:1px solid #1f5eff;border-radius:6px;background:#fff;color:#1f5eff;padding:3px 8px;cursor:pointer;margin-top:4px}" +
    "#os-v .os-err{color:#a00;display:block}";
  // A constructed stylesheet is CSSOM, which a page's Content-Security-Policy (OneStory's own
  // and most brands') allows without 'unsafe-inline'; older browsers get a <style> element
  // carrying this script's nonce, if it has one.
  if (window.CSSStyleSheet && "adoptedStyleSheets" in document && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
  } else {
    var style = el("style", {}, css);
    if (script.nonce) style.nonce = script.nonce;
    document.head.appendChild(style);
  }
  var root = el("div", { id: "os-w" });
  var panel = el("div", { id: "os-p", role: "dialog", "aria-label": cfg.onestoryTitle || "Chat" });
  var head = el("div", { id: "os-h" }, cfg.onestoryTitle || "Chat with us");
  var list = el("div", { id: "os-m", "aria-live": "polite" });
  var typing = el("div", { id: "os-t" });
  // Proving an email claim: "email me a code", then the code field.
  var verifyBar = el("div", { id: "os-v", role: "region", "aria-label": "Verify your email" });
  var verifyText = el("span", {});
  var codeInput = el("input", { "aria-label": "Verification code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "12" });
  var sendCode = el("button", { type: "button" }, "Email me a code");
  var checkCode = el("button", { type: "button" }, "Verify");
  var verifyErr = el("span", { class: "os-err", role: "alert" });
  var form = el("form", { id: "os-f" });
  var input = el("input", { placeholder: "Type a message…", "aria-label": "Message" });
  form.appendChild(input);
  form.appendChild(el("button", { type: "submit" }, "Send"));
  verifyBar.appendChild(verifyText); verifyBar.appendChild(el("br")); verifyBar.appendChild(sendCode);
  verifyBar.appendChild(codeInput); verifyBar.appendChild(checkCode); verifyBar.appendChild(verifyErr);
  panel.appendChild(head); panel.appendChild(verifyBar); panel.appendChild(list); panel.appendChild(typing); panel.appendChild(form);
  var toggle = el("button", { class: "os-b", type: "button" }, cfg.onestoryTitle || "Chat");
  root.appendChild(panel); root.appendChild(toggle);

  function show(m) {
    if (!m || !m.text || state.seen[m.event_id]) return;
    state.seen[m.event_id] = true;
    var row = el("div", { class: "os-msg " + (m.direction === "inbound" ? "os-in" : "os-out") }, m.text);
    list.appendChild(row);
    list.scrollTop = list.scrollHeight;
  }

  function api(path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) headers["X-Widget-Token"] = state.token;
    return fetch(base + path, { method: body ? "POST" : "GET", headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json(); });
  }

  // step: "ask" (offer to send a code), "code" (code sent, enter it) or null (hide).
  function showVerify(step, message) {
    verifyErr.textContent = message || "";
    if (step === "done") {
      verifyBar.className = "on";
      verifyText.textContent = "Verified: you are chatting as " + message + ".";
      verifyErr.textContent = "";
      sendCode.style.display = codeInput.style.display = checkCode.style.display = "none";
      return;
    }
    if (!step || !state.claim) { verifyBar.className = ""; return; }
    verifyBar.className = "on";
    sendCode.style.display = "";
    var asking = step === "ask";
    verifyText.textContent = asking
      ? "Unverified: to see your earlier conversations as " + state.claim + ", we can email you a code."
      : "We emailed a code to " + state.claim + ". Enter it here:";
    sendCode.textContent = asking ? "Email me a code" : "Send a new code";
    codeInput.style.display = checkCode.style.display = asking ? "none" : "";
    if (!asking) codeInput.focus();
  }

  function claimed(s) {
    if (s.verified || !s.claimed_email) return;
    state.claim = s.claimed_email;
    showVerify("ask");
  }

  function loadHistory() {
    return api("/v1/widget/messages").then(function (h) { (h.items || []).forEach(show); });
  }

  function requestCode() {
    return api("/v1/widget/verify/start", state.claim ? { email: state.claim } : {}).then(function (r) {
      if (!r.token) { showVerify("ask", r.detail || "The code could not be sent."); return false; }
      state.token = r.token;
      showVerify("code");
      return true;
    });
  }

  function verify(code) {
    return api("/v1/widget/verify", { code: String(code || "").trim() }).then(function (r) {
      if (!r.token) { showVerify("code", (r.errors && r.errors[0] && r.errors[0].reason) || r.detail || "That code did not work."); return false; }
      state.token = r.token;
      var who = state.claim;
      state.claim = null;
      showVerify("done", who);
      codeInput.value = "";
      // Verified: the whole conversation, in order, and a socket that follows the customer.
      state.seen = {};
      list.textContent = "";
      if (state.ws) { state.retry = 50; state.ws.close(); }
      return loadHistory().then(function () { return true; });
    });
  }
  sendCode.addEventListener("click", function () { requestCode(); });
  checkCode.addEventListener("click", function () { verify(codeInput.value); });
  codeInput.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); verify(codeInput.value); } });

  function connect() {
    var url = base.replace(/^http/, "ws") + "/v1/widget/ws?token=" + encodeURIComponent(state.token);
    var ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = function () { state.retry = 500; };
    ws.onmessage = function (e) {
      var d = JSON.parse(e.data);
      if (d.type === "message") { typing.textContent = ""; show(d.message); }
      else if (d.type === "typing") typing.textContent = d.typing ? (d.name || "Someone") + " is typing…" : "";
      else if (d.type === "token") { state.token = d.token; claimed(d); }
    };
    ws.onclose = function (e) {
      state.ws = null;
      // An expired or outdated token: start a new session instead of retrying it forever.
      if (e.code === 4401) { setTimeout(function () { start().catch(function () {}); }, state.retry); return; }
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 15000);
    };
  }

  function start() {
    var body = { visitor_id: localStorage.getItem(KEY) || undefined };
    if (cfg.userId) { body.user_id = cfg.userId; body.user_hash = cfg.userHash; }
    if (cfg.email) body.email = cfg.email;
    if (cfg.email && cfg.emailHash) body.email_hash = cfg.emailHash;
    if (cfg.name) body.name = cfg.name;
    return api("/v1/widget/session", body).then(function (s) {
      if (!s.token) throw new Error(s.detail || "widget session refused");
      state.token = s.token;
      localStorage.setItem(KEY, s.visitor_id);
      claimed(s);
      return loadHistory();
    }).then(function () { connect(); });
  }

  var EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;
  function send(text) {
    text = (text || "").trim();
    if (!text || !state.token) return false;
    var id = "m" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    if (!state.ws || state.ws.readyState !== 1) {
      // The socket is (re)connecting: send over HTTP so nothing typed is lost.
      api("/v1/widget/messages", { text: text, id: id });
      show({ event_id: id, direction: "inbound", text: text });
      return true;
    }
    var m = text.match(EMAIL);
    if (m && !cfg.emailHash && !cfg.userId && !state.claim) state.ws.send(JSON.stringify({ type: "identify", email: m[0] }));
    state.ws.send(JSON.stringify({ type: "message", id: id, text: text }));
    show({ event_id: id, direction: "inbound", text: text });
    return true;
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); if (send(input.value)) input.value = ""; });
  input.addEventListener("input", function () {
    if (!state.ws || state.ws.readyState !== 1) return;
    if (!state.typingTimer) state.ws.send(JSON.stringify({ type: "typing", typing: true }));
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(function () {
      state.typingTimer = null;
      if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ type: "typing", typing: false }));
    }, 1500);
  });
  function setOpen(on) { state.open = on; panel.className = on ? "on" : ""; if (on) input.focus(); }
  toggle.addEventListener("click", function () { setOpen(!state.open); });

  function boot() { document.body.appendChild(root); start().catch(function (e) { head.textContent = "Chat unavailable"; console.error(e); }); }
  if (document.body) boot(); else document.addEventListener("DOMContentLoaded", boot);

  window.OneStoryWidget = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    send: send,
    requestCode: requestCode,
    verify: verify,
    identify: function (email, name) {
      if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ type: "identify", email: email, name: name }));
    }
  };
})();
