/*
 * forum_guard editor: a small rich editor that checks the draft while the author types.
 *
 * Attach by putting `data-forum-guard` on a <textarea> (it becomes a contenteditable editor with a
 * toolbar and stays in the form as the field that is posted) or on a contenteditable element (give
 * it `data-fg-target="#hidden-input"` to keep a form field in step). Options come from the
 * `data-fg-config` JSON the `forum_guard/_editor.html` macro writes: checkUrl, delay, autosave,
 * messages. Every word the editor shows comes from `messages` (the server's one copy of them,
 * forum_guard.web.config.EDITOR_MESSAGES and the forum's own); the editor has no wording of its own.
 * The CSRF token is read from <meta name="csrf-token">.
 *
 * No build step, no dependencies. window.ForumGuardEditor.attach(element) attaches by hand.
 */
(() => {
  "use strict";

  // Elements kept by the paste sanitizer, with the attributes each may keep. Others are unwrapped
  // (their text kept) or, for DROP, removed with their content. The server sanitizes again.
  const ALLOWED = {
    P: [], BR: [], B: [], STRONG: [], I: [], EM: [], U: [], S: [], DEL: [], SUB: [], SUP: [],
    A: ["href", "title"], IMG: ["src", "alt", "title"], UL: [], OL: [], LI: [],
    BLOCKQUOTE: [], CODE: [], PRE: [], H2: [], H3: [], H4: [], HR: [],
  };
  const RENAME = { DIV: "P", H1: "H2", H5: "H4", H6: "H4" };
  const DROP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "NOSCRIPT", "HEAD",
    "TITLE", "META", "LINK", "SVG", "MATH", "FORM", "INPUT", "BUTTON", "SELECT", "TEXTAREA", "CANVAS",
    "VIDEO", "AUDIO", "PICTURE", "SOURCE"]);
  const SAFE_LINK = /^(https?:|mailto:)/i;
  const SAFE_IMAGE = /^https?:/i;
  const PASTED_IMAGE = /^(data|blob|file|cid|filesystem):/i;
  const BARE_URL = /^\s*(https?:\/\/[^\s<>"]+)\s*$/i;
  const IMAGE_URL = /\.(png|jpe?g|gif|webp|avif|svg)([?#].*)?$/i;

  const format = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

  function csrfToken(form) {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    const input = form && form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  /** Parse untrusted HTML in an inert document and rebuild the allowed part in `doc`. */
  function sanitize(html, doc = document) {
    const parsed = new DOMParser().parseFromString(html, "text/html");
    const fragment = doc.createDocumentFragment();
    const result = { fragment, removedImages: 0, keptImages: 0 };
    const copy = (source, target) => {
      for (const node of source.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          target.appendChild(doc.createTextNode(node.data));
          continue;
        }
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        let tag = node.tagName.toUpperCase();
        if (DROP.has(tag)) continue;
        tag = RENAME[tag] || tag;
        if (tag === "IMG") {
          const src = (node.getAttribute("src") || "").trim();
          if (!SAFE_IMAGE.test(src)) {
            if (PASTED_IMAGE.test(src) || src) result.removedImages += 1;
            continue;
          }
          result.keptImages += 1;
        }
        if (!(tag in ALLOWED)) {
          copy(node, target); // unwrap: keep the text, drop the element
          continue;
        }
        const el = doc.createElement(tag);
        for (const name of ALLOWED[tag]) {
          const value = node.getAttribute(name);
          if (value === null) continue;
          if (name === "href" && !SAFE_LINK.test(value.trim())) continue;
          el.setAttribute(name, value);
        }
        if (tag === "A" && el.hasAttribute("href")) el.setAttribute("rel", "nofollow noopener");
        copy(node, el);
        target.appendChild(el);
      }
    };
    copy(parsed.body, fragment);
    return result;
  }

  /** The text nodes under `root`, in document order. */
  function textNodes(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    return nodes;
  }

  /** A DOM point -> offset into the concatenated text of `root`. */
  function textOffset(root, container, offset) {
    const range = document.createRange();
    range.setStart(root, 0);
    range.setEnd(container, offset);
    return range.toString().length;
  }

  /** Offset into the concatenated text of `root` -> a DOM point. At the end of a highlight the
   *  point goes to the start of the next text node, so typing does not extend the highlight. */
  function pointAt(root, offset) {
    let total = 0;
    const nodes = textNodes(root);
    for (let i = 0; i < nodes.length; i += 1) {
      const node = nodes[i];
      const end = total + node.data.length;
      const atMarkEnd = offset === end && node.parentElement && node.parentElement.matches("mark.fg-hit") &&
        nodes[i + 1] && !nodes[i + 1].parentElement.matches("mark.fg-hit") &&
        node.parentElement.nextSibling === nodes[i + 1];
      if (offset < end || (offset === end && !atMarkEnd)) return [node, offset - total];
      total = end;
    }
    const last = nodes[nodes.length - 1];
    return last ? [last, last.data.length] : [root, root.childNodes.length];
  }

  function saveCaret(root) {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0) return null;
    const range = sel.getRangeAt(0);
    if (!root.contains(range.startContainer)) return null;
    return {
      start: textOffset(root, range.startContainer, range.startOffset),
      end: textOffset(root, range.endContainer, range.endOffset),
    };
  }

  function restoreCaret(root, caret) {
    if (!caret) return;
    const sel = window.getSelection();
    const range = document.createRange();
    const [sn, so] = pointAt(root, caret.start);
    const [en, eo] = pointAt(root, caret.end);
    range.setStart(sn, so);
    range.setEnd(en, eo);
    sel.removeAllRanges();
    sel.addRange(range);
  }

  /** The <mark>ed pieces of the server's highlighted HTML, as offsets into its text. */
  function markedPieces(highlightedHtml) {
    const parsed = new DOMParser().parseFromString(`<body>${highlightedHtml}`, "text/html");
    const pieces = [];
    let total = 0;
    let text = "";
    const walker = parsed.createTreeWalker(parsed.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const mark = n.parentElement && n.parentElement.closest("mark");
      if (mark) {
        const prev = pieces[pieces.length - 1];
        if (prev && prev.mark === mark && prev.end === total) prev.end += n.data.length;
        else pieces.push({ start: total, end: total + n.data.length, mark, title: mark.getAttribute("title") || "" });
      }
      total += n.data.length;
      text += n.data;
    }
    for (const p of pieces) p.text = text.slice(p.start, p.end);
    return { pieces, text };
  }

  class Editor {
    constructor(element) {
      this.element = element;
      this.isTextarea = element.tagName === "TEXTAREA";
      let config = {};
      try { config = JSON.parse(element.dataset.fgConfig || "{}"); } catch (e) { config = {}; }
      this.config = config;
      this.messages = config.messages || {};
      this.html = element.dataset.fgHtml !== "false";
      this.rich = this.html; // a plain-text field stays a textarea, checked and highlighted below it
      this.form = element.closest("form");
      this.checkUrl = config.checkUrl || null;
      this.delay = Number(config.delay) || 350;
      this.seq = 0;
      this.lastNotice = "";
      this.id = element.id || `fg-${Math.random().toString(36).slice(2)}`;
      if (!element.id) element.id = this.id;
      this.storageKey = `forum-guard:draft:${element.dataset.fgDraftKey || `${location.pathname}#${element.name || this.id}`}`;
      this.build();
      this.bind();
      this.start();
    }

    /** The forum's wording for `key`, with {placeholders} filled in (the key itself when missing). */
    t(key, values = {}) {
      const text = this.messages[key];
      return format(typeof text === "string" ? text : key, values);
    }

    // --- building --------------------------------------------------------------------------

    build() {
      const el = this.element;
      this.wrapper = document.createElement("div");
      this.wrapper.className = "fg-editor";
      this.wrapper.dataset.fgState = "idle";
      this.region = document.querySelector(`[data-fg-notice-for="${CSS.escape(this.id)}"]`);
      if (!this.region) {
        this.region = document.createElement("div");
        this.region.className = "fg-notice-region";
        this.region.id = `${this.id}-notice`;
        this.region.setAttribute("role", "status");
        this.region.setAttribute("aria-live", "polite");
        el.before(this.region);
      }
      el.before(this.wrapper);

      if (this.rich && this.isTextarea) {
        this.toolbar = this.buildToolbar();
        this.surface = document.createElement("div");
        this.surface.className = "fg-surface";
        this.surface.contentEditable = "true";
        this.surface.setAttribute("role", "textbox");
        this.surface.setAttribute("aria-multiline", "true");
        this.surface.setAttribute("aria-describedby", this.region.id);
        this.surface.dataset.placeholder = el.getAttribute("placeholder") || "";
        this.surface.id = `${this.id}-editor`;
        const label = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        if (label) {
          label.id = label.id || `${el.id}-label`;
          this.surface.setAttribute("aria-labelledby", label.id);
          label.addEventListener("click", (e) => { e.preventDefault(); this.surface.focus(); });
        } else {
          this.surface.setAttribute("aria-label", el.getAttribute("placeholder") || this.t("editor"));
        }
        this.wrapper.append(this.toolbar, this.surface);
        this.wrapper.appendChild(el);
        el.hidden = true;
        el.setAttribute("aria-hidden", "true");
        el.tabIndex = -1;
        this.setContent(el.value);
      } else if (this.isTextarea) {
        this.wrapper.appendChild(el);
        this.preview = document.createElement("div");
        this.preview.className = "fg-preview fg-preview--live";
        this.preview.hidden = true;
        this.wrapper.appendChild(this.preview);
      } else {
        // a contenteditable the host built
        this.surface = el;
        this.toolbar = this.buildToolbar();
        el.before(this.toolbar);
        this.wrapper.append(this.toolbar, el);
        this.target = el.dataset.fgTarget ? document.querySelector(el.dataset.fgTarget) : null;
      }

      this.footer = document.createElement("div");
      this.footer.className = "fg-footer";
      this.emojiCount = document.createElement("span");
      this.emojiCount.className = "fg-emoji-count";
      this.emojiCount.hidden = true;
      this.footer.appendChild(this.emojiCount);
      this.clientNotices = document.createElement("div");
      this.clientNotices.className = "fg-client-notices";
      this.clientNotices.setAttribute("role", "status");
      this.clientNotices.setAttribute("aria-live", "polite");
      this.wrapper.append(this.footer, this.clientNotices);

      // the server's highlighted copy is replaced by highlights in place
      if (this.surface) this.region.querySelectorAll("[data-fg-preview]").forEach((p) => { p.hidden = true; });
    }

    buildToolbar() {
      const bar = document.createElement("div");
      bar.className = "fg-toolbar";
      bar.setAttribute("role", "toolbar");
      bar.setAttribute("aria-label", this.t("toolbar"));
      const button = (label, title, action, cls) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = `fg-tool ${cls || ""}`;
        b.append(label);
        b.title = title;
        b.setAttribute("aria-label", title);
        b.addEventListener("mousedown", (e) => e.preventDefault()); // keep the selection
        b.addEventListener("click", action);
        bar.appendChild(b);
        return b;
      };
      const styled = (tag, text) => {
        const el = document.createElement(tag);
        el.textContent = text;
        return el;
      };
      button(styled("b", this.t("bold_symbol")), this.t("bold"), () => this.exec("bold"), "fg-tool--bold");
      button(styled("i", this.t("italic_symbol")), this.t("italic"), () => this.exec("italic"), "fg-tool--italic");
      button(this.t("link_button"), this.t("link_title"), () => this.ask("link"), "fg-tool--link");
      button(this.t("image_button"), this.t("image_title"), () => this.ask("image"), "fg-tool--image");

      // a small inline form instead of window.prompt
      this.prompt = document.createElement("div");
      this.prompt.className = "fg-prompt";
      this.prompt.hidden = true;
      const label = document.createElement("label");
      this.promptLabel = document.createElement("span");
      this.promptInput = document.createElement("input");
      this.promptInput.type = "url";
      this.promptInput.placeholder = "https://";
      this.promptInput.className = "fg-prompt__input";
      label.append(this.promptLabel, " ", this.promptInput);
      const ok = document.createElement("button");
      ok.type = "button";
      ok.className = "fg-button fg-prompt__ok";
      ok.textContent = this.t("insert");
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "fg-button fg-button--quiet fg-prompt__cancel";
      cancel.textContent = this.t("cancel");
      this.promptError = document.createElement("span");
      this.promptError.className = "fg-prompt__error";
      this.promptError.setAttribute("role", "alert");
      this.prompt.append(label, ok, cancel, this.promptError);
      ok.addEventListener("click", () => this.answer());
      cancel.addEventListener("click", () => this.closePrompt());
      this.promptInput.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); this.answer(); }
        if (e.key === "Escape") { e.preventDefault(); this.closePrompt(); }
      });
      bar.appendChild(this.prompt);
      return bar;
    }

    bind() {
      const target = this.surface || this.element;
      target.addEventListener("input", () => this.changed());
      target.addEventListener("paste", (e) => this.onPaste(e));
      target.addEventListener("drop", (e) => this.onDrop(e));
      if (this.surface) {
        this.surface.addEventListener("beforeinput", (e) => this.onBeforeInput(e));
        this.surface.addEventListener("focus", () => {
          try { document.execCommand("defaultParagraphSeparator", false, "p"); } catch (e) { /* old browsers */ }
        });
      }
      if (this.form) {
        this.form.addEventListener("submit", () => {
          this.sync();
          this.save(true);
        });
      }
    }

    start() {
      const initial = this.value();
      if (!initial.trim()) this.restore();
      this.sync();
      if (this.value().trim()) this.check();
      this.wrapper.dataset.fgReady = "true";
    }

    // --- content ---------------------------------------------------------------------------

    setContent(html) {
      if (!this.surface) {
        this.element.value = html;
        return;
      }
      this.surface.textContent = "";
      if (this.html) this.surface.appendChild(sanitize(html).fragment);
      else this.surface.textContent = html;
      this.updateEmpty();
    }

    /** The draft as it is posted: the editor's HTML without highlights. */
    value() {
      if (!this.surface) return this.element.value;
      const clone = this.surface.cloneNode(true);
      clone.querySelectorAll("mark.fg-hit").forEach((m) => m.replaceWith(...m.childNodes));
      clone.querySelectorAll("[data-fg-ui]").forEach((n) => n.remove());
      if (!clone.textContent.trim() && !clone.querySelector("img")) return "";
      return clone.innerHTML;
    }

    sync() {
      const v = this.value();
      if (this.surface && this.isTextarea) this.element.value = v;
      else if (this.target) this.target.value = v;
      this.updateEmpty();
    }

    updateEmpty() {
      if (this.surface) this.surface.classList.toggle("is-empty", !this.surface.textContent.trim() && !this.surface.querySelector("img"));
    }

    changed() {
      this.sync();
      this.scheduleCheck();
      this.scheduleSave();
    }

    exec(command, value = null) {
      this.surface.focus();
      document.execCommand(command, false, value);
      this.changed();
    }

    // --- link and image by URL -------------------------------------------------------------

    ask(kind) {
      const sel = window.getSelection();
      this.savedRange = sel && sel.rangeCount && this.surface.contains(sel.getRangeAt(0).startContainer)
        ? sel.getRangeAt(0).cloneRange() : null;
      this.promptKind = kind;
      this.promptLabel.textContent = this.t(kind === "image" ? "image_url" : "link_url");
      this.promptError.textContent = "";
      this.promptInput.value = "";
      this.prompt.hidden = false;
      this.promptInput.focus();
    }

    closePrompt() {
      this.prompt.hidden = true;
      this.surface.focus();
      this.restoreRange();
    }

    restoreRange() {
      const sel = window.getSelection();
      if (this.savedRange) {
        sel.removeAllRanges();
        sel.addRange(this.savedRange);
      } else {
        const range = document.createRange();
        range.selectNodeContents(this.surface);
        range.collapse(false);
        sel.removeAllRanges();
        sel.addRange(range);
      }
    }

    answer() {
      const raw = this.promptInput.value.trim();
      let url;
      try { url = new URL(raw); } catch (e) { url = null; }
      if (!url || !/^https?:$/.test(url.protocol)) {
        this.promptError.textContent = this.t("url_invalid");
        return;
      }
      this.prompt.hidden = true;
      this.surface.focus();
      this.restoreRange();
      const sel = window.getSelection();
      if (this.promptKind === "image") {
        const img = document.createElement("img");
        img.src = url.href;
        img.alt = "";
        this.insertNodes([img]);
      } else if (sel.rangeCount && !sel.getRangeAt(0).collapsed) {
        document.execCommand("createLink", false, url.href);
      } else {
        const a = document.createElement("a");
        a.href = url.href;
        a.textContent = url.href;
        this.insertNodes([a]);
      }
      this.changed();
    }

    /** Insert nodes at the caret (or the end), leave the caret after them, return them. */
    insertNodes(nodes, range = null) {
      const sel = window.getSelection();
      if (!range) {
        if (sel.rangeCount && this.surface.contains(sel.getRangeAt(0).startContainer)) range = sel.getRangeAt(0);
        else {
          range = document.createRange();
          range.selectNodeContents(this.surface);
          range.collapse(false);
        }
      }
      range.deleteContents();
      const fragment = document.createDocumentFragment();
      nodes.forEach((n) => fragment.appendChild(n));
      range.insertNode(fragment);
      const after = document.createRange();
      after.setStartAfter(nodes[nodes.length - 1]);
      after.collapse(true);
      sel.removeAllRanges();
      sel.addRange(after);
      return nodes;
    }

    replaceNodes(nodes, replacement) {
      if (!nodes.length || !nodes.every((n) => n.isConnected && this.surface.contains(n))) return false;
      const range = document.createRange();
      range.setStartBefore(nodes[0]);
      range.setEndAfter(nodes[nodes.length - 1]);
      this.insertNodes(replacement, range);
      this.changed();
      return true;
    }

    /** Text typed at the very end of a highlight goes after it, not into it. */
    onBeforeInput(event) {
      if (event.inputType !== "insertText" || !event.data) return;
      const sel = window.getSelection();
      if (!sel.rangeCount || !sel.isCollapsed) return;
      const { startContainer: node, startOffset: offset } = sel.getRangeAt(0);
      const mark = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      if (!mark || !mark.matches("mark.fg-hit") || !this.surface.contains(mark)) return;
      const atEnd = node.nodeType === Node.TEXT_NODE ? offset === node.data.length && !node.nextSibling
        : offset === mark.childNodes.length;
      if (!atEnd) return;
      event.preventDefault();
      const next = mark.nextSibling;
      let text;
      if (next && next.nodeType === Node.TEXT_NODE) {
        next.insertData(0, event.data);
        text = next;
      } else {
        // a trailing plain space would collapse (and the caret fall back into the mark): use a
        // no-break space, as the browser itself does at the end of a line
        text = document.createTextNode(event.data.replace(/ $/, "\u00a0"));
        mark.after(text);
      }
      const range = document.createRange();
      range.setStart(text, event.data.length);
      range.collapse(true);
      sel.removeAllRanges();
      sel.addRange(range);
      this.changed();
    }

    // --- paste and drop --------------------------------------------------------------------

    onPaste(event) {
      const data = event.clipboardData;
      if (!data) return;
      if (this.take(data, event, null)) event.preventDefault();
    }

    onDrop(event) {
      const data = event.dataTransfer;
      if (!data) return;
      let range = null;
      if (document.caretRangeFromPoint) range = document.caretRangeFromPoint(event.clientX, event.clientY);
      if (range && this.surface && !this.surface.contains(range.startContainer)) range = null;
      if (this.take(data, event, range)) event.preventDefault();
    }

    /** Handle pasted or dropped data; true when it was handled here (the default is prevented). */
    take(data, event, range) {
      const files = Array.from(data.files || []);
      for (const item of Array.from(data.items || [])) {
        if (item.kind === "file") {
          const f = item.getAsFile();
          if (f && !files.includes(f)) files.push(f);
        }
      }
      const hasImageFile = files.some((f) => /^image\//i.test(f.type));
      const html = data.getData("text/html");
      const text = data.getData("text/plain");

      if (!this.surface) {
        // a plain textarea takes text only
        if (hasImageFile || files.length) {
          if (hasImageFile) this.notify("image", this.t("pasted_image"));
          return !text;
        }
        return false;
      }
      if (html && html.trim()) {
        const { fragment, removedImages } = sanitize(html);
        if (removedImages) this.notify("image", this.t("pasted_image"));
        const nodes = Array.from(fragment.childNodes);
        if (!nodes.length || !fragment.textContent.trim() && !fragment.querySelector("img")) {
          if (!removedImages && hasImageFile) this.notify("image", this.t("pasted_image"));
          return true;
        }
        this.insertNodes(nodes, range);
        this.changed();
        const plain = text || nodes.map((n) => n.textContent).join("");
        this.notify("rich", this.t("rich_text"), this.t("plain_text_action"), () => {
          this.replaceNodes(nodes, this.textNodesFor(plain));
        });
        return true;
      }
      if (hasImageFile || (files.length && !text)) {
        this.notify("image", this.t("pasted_image"));
        return true;
      }
      if (!text) return false;
      const bare = this.html && BARE_URL.exec(text);
      if (bare) {
        const url = bare[1];
        let embed;
        if (IMAGE_URL.test(url)) {
          embed = document.createElement("img");
          embed.src = url;
          embed.alt = "";
        } else {
          embed = document.createElement("a");
          embed.href = url;
          embed.rel = "nofollow noopener";
          embed.textContent = url;
        }
        this.insertNodes([embed], range);
        this.changed();
        this.notify("link", this.t("link_embedded"), this.t("link_action"), () => {
          if (embed.tagName === "IMG") {
            const a = document.createElement("a");
            a.href = url;
            a.rel = "nofollow noopener";
            a.textContent = url;
            this.replaceNodes([embed], [a]);
          } else {
            this.replaceNodes([embed], [document.createTextNode(url)]);
          }
        });
        return true;
      }
      // plain text: insert as text (keeps the browser's undo)
      if (range) {
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      document.execCommand("insertText", false, text);
      return true;
    }

    textNodesFor(plain) {
      const out = [];
      plain.replace(/\r\n?/g, "\n").split("\n").forEach((line, i) => {
        if (i) out.push(document.createElement("br"));
        if (line) out.push(document.createTextNode(line));
      });
      return out.length ? out : [document.createTextNode("")];
    }

    // --- notices ---------------------------------------------------------------------------

    /** Show (or replace) one of the editor's own notices, with an optional action. */
    notify(key, text, actionText = null, action = null) {
      this.dismiss(key);
      const box = document.createElement("div");
      box.className = `fg-notice fg-notice--client fg-notice--${key}`;
      box.dataset.fgNotice = key;
      const close = document.createElement("button");
      close.type = "button";
      close.className = "fg-notice__close";
      close.setAttribute("aria-label", this.t("dismiss"));
      close.textContent = "×";
      close.addEventListener("click", () => this.dismiss(key));
      const span = document.createElement("span");
      span.className = "fg-notice__text";
      span.textContent = text;
      box.append(close, span);
      if (actionText && action) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "fg-notice__action";
        b.textContent = actionText;
        b.addEventListener("click", () => { action(); this.dismiss(key); });
        box.append(" ", b);
      }
      this.clientNotices.appendChild(box);
      return box;
    }

    dismiss(key) {
      this.clientNotices.querySelectorAll(`[data-fg-notice="${key}"]`).forEach((n) => n.remove());
    }

    // --- the live check --------------------------------------------------------------------

    scheduleCheck() {
      clearTimeout(this.checkTimer);
      if (!this.checkUrl) return;
      this.wrapper.dataset.fgState = "pending";
      this.checkTimer = setTimeout(() => this.check(), this.delay);
    }

    async check() {
      clearTimeout(this.checkTimer);
      if (!this.checkUrl) return;
      const pause = (this.pausedUntil || 0) - Date.now();
      if (pause > 0) { // rate-limited (429): wait quietly, the post is checked on submit anyway
        this.checkTimer = setTimeout(() => this.check(), pause);
        return;
      }
      const content = this.value();
      const seq = ++this.seq;
      if (this.inflight) this.inflight.abort();
      if (!content.trim()) {
        this.render(null);
        this.wrapper.dataset.fgState = "checked";
        return;
      }
      const controller = new AbortController();
      this.inflight = controller;
      this.wrapper.dataset.fgState = "checking";
      let response;
      let data;
      try {
        response = await fetch(this.checkUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(this.form) },
          body: JSON.stringify({ content, html: this.html }),
          signal: controller.signal,
        });
        data = await response.json();
      } catch (e) {
        if (e.name === "AbortError") return;
        data = null;
      }
      if (seq !== this.seq) return;
      this.inflight = null;
      if (response && response.status === 429) {
        const wait = Math.min(Math.max(Number(response.headers.get("Retry-After")) || 5, 1), 60);
        this.pausedUntil = Date.now() + wait * 1000;
        this.checkTimer = setTimeout(() => this.check(), wait * 1000);
        this.wrapper.dataset.fgState = "pending";
        return;
      }
      if (!response || !response.ok || !data) {
        this.renderError((data && data.message) || this.t("check_failed"));
      } else {
        this.render(data);
      }
      this.wrapper.dataset.fgState = "checked";
    }

    renderError(message) {
      this.setServerNotice([], null, message);
    }

    render(data) {
      if (!data) {
        this.setServerNotice([], null, null);
        this.clearMarks();
        this.showEmoji(0, null);
        this.wrapper.dataset.fgAction = "";
        return;
      }
      this.wrapper.dataset.fgAction = data.action;
      const tone = data.exempt ? "info" : data.action === "block" ? "error" : "warning";
      this.setServerNotice(data.messages || [], data.exempt ? data.exempt_notice || this.t("moderator") : null, null,
        tone);
      const hasHits = (data.matches || []).length > 0;
      if (this.surface) {
        if (hasHits) this.highlight(data.highlighted_html);
        else this.clearMarks();
      } else if (this.preview) {
        this.preview.textContent = "";
        if (hasHits) {
          const { fragment } = sanitizeWithMarks(data.highlighted_html);
          this.preview.appendChild(fragment);
        }
        this.preview.hidden = !hasHits;
      }
      this.showEmoji(data.emoji_count || 0, data.emoji_limit);
    }

    setServerNotice(messages, exemptText, errorText, tone = "error") {
      const key = JSON.stringify([messages, exemptText, errorText, tone]);
      if (key === this.lastNotice) return; // do not re-announce the same notice
      this.lastNotice = key;
      this.region.querySelectorAll("[data-fg-server-notice], [data-fg-exempt-notice], [data-fg-preview], [data-fg-error]")
        .forEach((n) => n.remove());
      const paragraph = (className, text, marker = null) => {
        const p = document.createElement("p");
        p.className = className;
        if (marker) p.dataset[marker] = "";
        p.textContent = text;
        return p;
      };
      if (exemptText) this.region.appendChild(paragraph("fg-notice fg-notice--moderator", exemptText, "fgExemptNotice"));
      if (messages.length) {
        const box = document.createElement("div");
        box.className = `fg-notice fg-notice--${tone}`;
        box.dataset.fgServerNotice = "";
        for (const m of messages) box.appendChild(paragraph("fg-notice__message", m));
        this.region.appendChild(box);
      }
      if (errorText) this.region.appendChild(paragraph("fg-notice fg-notice--warning", errorText, "fgError"));
    }

    showEmoji(count, limit) {
      if (!limit || !count) {
        this.emojiCount.hidden = true;
        return;
      }
      this.emojiCount.hidden = false;
      this.emojiCount.textContent = this.t("emoji_count", { count, limit });
      this.emojiCount.classList.toggle("is-over", count > limit);
    }

    // --- highlights in place ---------------------------------------------------------------

    clearMarks() {
      if (!this.surface) return;
      const marks = this.surface.querySelectorAll("mark.fg-hit");
      if (!marks.length) return;
      const caret = document.activeElement === this.surface ? saveCaret(this.surface) : null;
      marks.forEach((m) => m.replaceWith(...m.childNodes));
      this.surface.normalize();
      restoreCaret(this.surface, caret);
    }

    highlight(highlightedHtml) {
      const focused = document.activeElement === this.surface;
      const caret = focused ? saveCaret(this.surface) : null;
      this.surface.querySelectorAll("mark.fg-hit").forEach((m) => m.replaceWith(...m.childNodes));
      this.surface.normalize();
      const { pieces, text: serverText } = markedPieces(highlightedHtml);
      const editorText = textNodes(this.surface).map((n) => n.data).join("");
      const ranges = [];
      const used = [];
      for (const p of pieces) {
        let start = p.start;
        if (serverText !== editorText || editorText.slice(start, p.end) !== p.text) {
          // the draft changed since the check: find the nearest unused occurrence of the same text
          start = -1;
          let best = Infinity;
          for (let i = editorText.indexOf(p.text); i !== -1; i = editorText.indexOf(p.text, i + 1)) {
            if (used.includes(i)) continue;
            const d = Math.abs(i - p.start);
            if (d < best) { best = d; start = i; }
          }
          if (start === -1 || !p.text) continue;
        }
        used.push(start);
        ranges.push({ start, end: start + p.text.length, title: p.title });
      }
      ranges.sort((a, b) => b.start - a.start); // wrap from the end: earlier offsets stay valid
      for (const r of ranges) this.wrap(r.start, r.end, r.title);
      restoreCaret(this.surface, caret);
    }

    wrap(start, end, title) {
      let total = 0;
      const targets = [];
      for (const node of textNodes(this.surface)) {
        const len = node.data.length;
        const s = Math.max(start, total);
        const e = Math.min(end, total + len);
        if (s < e) targets.push([node, s - total, e - total]);
        total += len;
        if (total >= end) break;
      }
      const words = this.surface.textContent.slice(start, end);
      for (const [node, s, e] of targets.reverse()) {
        let piece = node;
        if (e < piece.data.length) piece.splitText(e);
        if (s > 0) piece = piece.splitText(s);
        const mark = document.createElement("mark");
        mark.className = "fg-hit";
        mark.title = title || this.t("hit_title", { words });
        piece.replaceWith(mark);
        mark.appendChild(piece);
      }
    }

    // --- drafts ----------------------------------------------------------------------------

    scheduleSave() {
      if (this.config.autosave === false) return;
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.save(false), 400);
    }

    save(submitted) {
      if (this.config.autosave === false) return;
      clearTimeout(this.saveTimer);
      const content = this.value();
      try {
        if (!content.trim()) localStorage.removeItem(this.storageKey);
        else localStorage.setItem(this.storageKey, JSON.stringify({ content, submitted, savedAt: Date.now() }));
      } catch (e) { /* storage full or disabled */ }
      this.saveOnServer(submitted || !content.trim() ? null : content, submitted);
    }

    /** Signed-in users' drafts also go to the server (debounced; at once when the form is posted). */
    saveOnServer(content, now) {
      const key = this.element.dataset.fgDraftKey;
      if (!this.config.draftUrl || !key) return;
      clearTimeout(this.serverTimer);
      const send = () => {
        if (content === this.lastServerDraft) return;
        this.lastServerDraft = content;
        fetch(this.config.draftUrl, {
          method: "POST",
          credentials: "same-origin",
          keepalive: true,
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(this.form) },
          body: JSON.stringify({ key, content }),
        }).catch(() => { this.lastServerDraft = undefined; });
      };
      if (now) send();
      else this.serverTimer = setTimeout(send, 1500);
    }

    restore() {
      if (this.config.autosave === false) return;
      let saved = null;
      try { saved = JSON.parse(localStorage.getItem(this.storageKey) || "null"); } catch (e) { saved = null; }
      if (saved && saved.submitted) {
        // the page came back empty after a post: it went through
        try { localStorage.removeItem(this.storageKey); } catch (e) { /* ignore */ }
        saved = null;
      }
      const server = this.element.dataset.fgServerDraft;
      if ((!saved || !saved.content) && server) saved = { content: server };
      if (!saved || !saved.content) return;
      this.lastServerDraft = server || null;
      this.setContent(saved.content);
      this.notify("restored", this.t("restored"), this.t("clear_action"), () => {
        this.setContent("");
        this.changed();
        this.save(false);
      });
    }
  }

  /** Sanitize server markup for the plain-text preview, keeping <mark>. */
  function sanitizeWithMarks(html) {
    ALLOWED.MARK = ["title"];
    try { return sanitize(html); } finally { delete ALLOWED.MARK; }
  }

  const editors = new WeakMap();

  function attach(element) {
    if (editors.has(element)) return editors.get(element);
    const editor = new Editor(element);
    editors.set(element, editor);
    element.forumGuardEditor = editor;
    return editor;
  }

  function attachAll(root = document) {
    root.querySelectorAll("[data-forum-guard]").forEach(attach);
  }

  window.ForumGuardEditor = { attach, attachAll, sanitize };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => attachAll());
  else attachAll();
})();
