// Load the channels domain's embeddable chat widget, if this server provides it.
const candidates = ["/widget.js", "/v1/widget.js", "/v1/channels/webchat/widget.js"];
for (const src of candidates) {
  const res = await fetch(src, { method: "HEAD" }).catch(() => null);
  if (res?.ok) {
    const s = document.createElement("script");
    s.src = src;
    s.async = true;
    document.body.append(s);
    break;
  }
  if (src === candidates.at(-1)) document.getElementById("widget-missing").hidden = false;
}
