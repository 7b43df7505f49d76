/* Live check of a one-line field (the topic title): the same endpoint and notice as the editor,
 * for an <input data-demo-check="URL" aria-describedby="ID-notice">. Plain text; one notice. */
(() => {
  "use strict";
  const token = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function attach(input) {
    const region = document.getElementById(`${input.id}-notice`);
    if (!region) return;
    let timer = null;
    let last = null;
    const show = (data) => {
      region.querySelectorAll("[data-fg-server-notice], [data-fg-exempt-notice], [data-fg-preview]").forEach((n) => n.remove());
      const tone = !data ? null : data.exempt ? "moderator" : data.action === "block" ? "error" : "warning";
      let lines = [];
      if (data && data.exempt) lines = (data.matches || []).length && data.exempt_notice ? [data.exempt_notice] : [];
      else if (data) lines = data.messages || [];
      input.toggleAttribute("aria-invalid", !!data && data.action === "block" && !data.exempt);
      if (!lines.length) return;
      const box = document.createElement("div");
      box.className = `fg-notice fg-notice--${tone}`;
      box.dataset.fgServerNotice = "";
      for (const m of lines) {
        const p = document.createElement("p");
        p.className = "fg-notice__message";
        p.textContent = m;
        box.appendChild(p);
      }
      region.appendChild(box);
    };
    const check = async () => {
      const value = input.value;
      if (value === last) return;
      last = value;
      if (!value.trim()) { show(null); return; }
      try {
        const r = await fetch(input.dataset.demoCheck, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token() },
          body: JSON.stringify({ content: value, markup: "text" }),
        });
        if (r.ok && input.value === value) show(await r.json());
      } catch (e) { /* offline: the check on submit still runs */ }
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 300); });
  }

  const start = () => document.querySelectorAll("input[data-demo-check]").forEach(attach);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
