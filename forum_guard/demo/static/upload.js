/* The demo's "Upload image" button beside each editor: posts the file to /upload and inserts the
 * returned image where the caret was (rich editor), or its markup (Markdown/BBCode textarea).
 * Without JavaScript the row is a link to the upload page. */
(() => {
  "use strict";
  const token = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function insertInto(form, url, markup) {
    const surface = form.querySelector(".fg-surface");
    if (surface) {
      surface.focus();
      const sel = window.getSelection();
      const saved = surface._demoRange;
      sel.removeAllRanges();
      if (saved && surface.contains(saved.startContainer)) {
        sel.addRange(saved);
      } else {
        const range = document.createRange();
        range.selectNodeContents(surface);
        range.collapse(false);
        sel.addRange(range);
      }
      document.execCommand("insertImage", false, url); // an input event: the editor syncs and re-checks
      return;
    }
    const area = form.querySelector("textarea[data-forum-guard]");
    if (!area) return;
    const text = markup === "bbcode" ? `[img]${url}[/img]` : markup === "markdown" ? `![](${url})` : `<img src="${url}" alt="">`;
    const at = area.selectionStart ?? area.value.length;
    area.value = area.value.slice(0, at) + text + area.value.slice(area.selectionEnd ?? at);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function attach(row) {
    const form = row.closest("form");
    const status = row.querySelector("[data-upload-status]");
    const input = document.createElement("input");
    input.type = "file";
    input.accept = "image/png,image/jpeg,image/gif,image/webp";
    input.className = "visually-hidden";
    input.id = `${row.id}-file`;
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.className = "button button--small button--quiet";
    label.textContent = "Upload image";
    label.tabIndex = 0;
    label.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
    row.querySelector("[data-upload-link]").replaceWith(label, input);
    // remember where the caret was in the editor, since clicking the button moves the focus
    document.addEventListener("selectionchange", () => {
      const surface = form.querySelector(".fg-surface");
      const sel = window.getSelection();
      if (surface && sel.rangeCount && surface.contains(sel.getRangeAt(0).startContainer)) {
        surface._demoRange = sel.getRangeAt(0).cloneRange();
      }
    });
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      status.textContent = "Uploading…";
      const body = new FormData();
      body.append("image", file);
      try {
        const r = await fetch(row.dataset.uploadUrl, {
          method: "POST", body, credentials: "same-origin",
          headers: { "X-CSRFToken": token(), "X-Requested-With": "fetch", Accept: "application/json" },
        });
        const data = await r.json().catch(() => ({ error: `The upload failed (${r.status}).` }));
        if (!r.ok || !data.url) {
          status.textContent = data.error || `The upload failed (${r.status}).`;
          return;
        }
        insertInto(form, data.url, row.dataset.markup);
        status.textContent = "Image inserted.";
      } catch (e) {
        status.textContent = "The upload failed: the forum could not be reached. Your draft is unchanged.";
      } finally {
        input.value = "";
      }
    });
  }

  const start = () => document.querySelectorAll("[data-demo-upload]").forEach(attach);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
