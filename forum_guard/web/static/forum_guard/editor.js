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

  if (window.ForumGuardEditor) return; // loaded twice (a partial included twice): the first one serves

  // Elements kept by the paste sanitizer, with the attributes each may keep. Others are unwrapped
  // (their text kept) or, for DROP, removed with their content. The server sanitizes again.
  const ALLOWED = {
    P: [], BR: [], B: [], STRONG: [], I: [], EM: [], U: [], S: [], DEL: [], SUB: [], SUP: [],
    A: ["href", "title"], IMG: ["src", "alt", "title"], UL: [], OL: [], LI: [],
    BLOCKQUOTE: [], CODE: [], PRE: [], H3: [], H4: [], HR: [],
  };
  // a pasted page's big headings become the post's small ones (a reply is not a page title)
  const RENAME = { DIV: "P", H1: "H3", H2: "H3", H5: "H4", H6: "H4" };
  const BLOCKS = new Set(["P", "H3", "H4", "UL", "OL", "BLOCKQUOTE", "PRE", "HR"]);
  const DROP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "NOSCRIPT", "HEAD",
    "TITLE", "META", "LINK", "SVG", "MATH", "FORM", "INPUT", "BUTTON", "SELECT", "TEXTAREA", "CANVAS",
    "VIDEO", "AUDIO", "PICTURE", "SOURCE"]);
  const SAFE_LINK = /^(https?:|mailto:)/i;
  const SAFE_IMAGE = /^https?:/i;
  const PASTED_IMAGE = /^(data|blob|file|cid|filesystem):/i;
  const BARE_URL = /^\s*(https?:\/\/[^\s<>"]+)\s*$/i;
  const IMAGE_URL = /\.(png|jpe?g|gif|webp|avif|svg)([?#].*)?$/i;

  const readJson = (text) => {
    try { return JSON.parse(text || "{}") || {}; } catch (e) { return {}; }
  };
  /** The page's editor config (<meta name="forum-guard-config">, written by editor_assets). */
  const pageConfig = () => {
    const meta = document.querySelector('meta[name="forum-guard-config"]');
    return meta ? readJson(meta.content) : {};
  };
  const format = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

  function csrfToken(form) {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    const input = form && form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  /** A plain link's HTML (`marked`: flagged data-fg-new for insertHtml to find). */
  const linkHtml = (url, marked = false) =>
    `<a href="${escapeHtml(url)}" rel="nofollow noopener"${marked ? " data-fg-new" : ""}>${escapeHtml(url)}</a>`;
  /** Plain text as HTML: escaped, its line breaks as <br>. */
  const plainHtml = (text) => text.replace(/\r\n?/g, "\n").split("\n").map(escapeHtml).join("<br>");

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
        if (BLOCKS.has(tag) && target.nodeType === Node.ELEMENT_NODE && target.closest("p, h3, h4")) {
          // a block inside a paragraph or heading (invalid HTML, or a <div> renamed): its text, in line
          copy(node, target);
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

  /** Offset into the concatenated text of `root` -> a DOM point; between two text nodes, the
   *  start of the next one when `forward` (where a range starting there begins). */
  function pointAt(root, offset, forward = false) {
    let total = 0;
    const nodes = textNodes(root);
    for (let i = 0; i < nodes.length; i += 1) {
      const node = nodes[i];
      const end = total + node.data.length;
      if (offset < end || (offset === end && !(forward && nodes[i + 1]))) return [node, offset - total];
      total = end;
    }
    const last = nodes[nodes.length - 1];
    return last ? [last, last.data.length] : [root, root.childNodes.length];
  }

  const HIT_NAME = "fg-hit";
  let focusTaken = false; // the first refused field on the page takes the focus
  /** The highlighted words, each once, in order. */
  const uniqueWords = (pieces) => [...new Set(pieces.map((p) => p.text.trim()).filter(Boolean))];
  /** The CSS Custom Highlight API's registry, or null where the browser has none. */
  const hitRegistry = () => (window.CSS && CSS.highlights && typeof Highlight === "function" ? CSS.highlights : null);

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
    /**
     * `options` (ForumGuardEditor.attach's second argument) win over the element's data-fg-config,
     * which wins over the page's <meta name="forum-guard-config">: markup ("html" | "markdown" |
     * "bbcode" | "text"), draftKey, serverDraft, and any of the config keys.
     */
    constructor(element, options = {}) {
      this.element = element;
      this.isTextarea = element.tagName === "TEXTAREA";
      const config = { ...pageConfig(), ...readJson(element.dataset.fgConfig), ...options };
      this.config = config;
      this.messages = config.messages || {};
      this.markup = options.markup || element.dataset.fgMarkup ||
        (element.dataset.fgHtml === "false" ? "text" : element.dataset.fgHtml === "true" ? "html" : config.markup) ||
        (element.tagName === "TEXTAREA" || element.isContentEditable ? "html" : "text");
      if (element.tagName === "INPUT") this.markup = "text"; // a one-line field holds plain text
      this.html = this.markup === "html";
      this.rich = this.html; // Markdown, BBCode and text stay a textarea, checked and highlighted below it
      this.form = element.closest("form");
      this.checkUrl = config.checkUrl || null;
      this.delay = Number(config.delay) || 350;
      this.seq = 0;
      this.lastNotice = "";
      this.id = element.id || `fg-${Math.random().toString(36).slice(2)}`;
      if (!element.id) element.id = this.id;
      this.draftKey = options.draftKey || element.dataset.fgDraftKey || null;
      this.serverDraft = options.serverDraft || element.dataset.fgServerDraft || null;
      this.storageKey = `forum-guard:draft:${this.draftKey || `${location.pathname}#${element.name || this.id}`}`;
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
      // the refusal of a submitted post is announced here (filled at that moment, see announceBlocked)
      this.alert = document.createElement("div");
      this.alert.className = "fg-visually-hidden";
      this.alert.setAttribute("role", "alert");
      this.alert.dataset.fgAlert = "";
      const plainField = !this.rich && (this.isTextarea || el.tagName === "INPUT");
      if (plainField) {
        // the host's own field stays where it is; the live preview and notices go after it
        this.wrapper.classList.add("fg-editor--plain");
        el.after(this.wrapper);
        if (!el.getAttribute("aria-describedby")) el.setAttribute("aria-describedby", this.region.id);
      } else el.before(this.wrapper);
      this.wrapper.before(this.alert);

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
      } else if (plainField && el.tagName === "INPUT") {
        this.preview = null; // a one-line field: the notice names the words, no copy of the line
      } else if (plainField) {
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
      if (this.surface && hitRegistry()) this.region.querySelectorAll("[data-fg-preview]").forEach((p) => { p.hidden = true; });
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
        this.surface.addEventListener("mousemove", (e) => this.hoverHit(e));
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
      else if (this.pendingEntry()) this.save(false); // the forum sent the draft back (422): keep it
      this.sync();
      if (this.value().trim()) this.check();
      this.announceBlocked();
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
      clone.querySelectorAll("blockquote.fg-embed").forEach((n) => {
        for (const name of ["class", "contenteditable", "aria-label"]) n.removeAttribute(name);
      });
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
        this.insertHtml(`<img src="${escapeHtml(url.href)}" alt="">`);
      } else if (sel.rangeCount && !sel.getRangeAt(0).collapsed) {
        document.execCommand("createLink", false, url.href);
      } else {
        this.insertHtml(linkHtml(url.href));
      }
      this.changed();
    }

    /** The draft's text: its text nodes, concatenated (what text offsets count in). */
    text() {
      return textNodes(this.surface).map((n) => n.data).join("");
    }

    /**
     * Insert HTML at `range` (else the caret, else the end) with the browser's own editing command,
     * so that Ctrl+Z undoes it like typing. Returns where it went: text offsets and the text there,
     * and the inserted elements marked `data-fg-new` in `html` (the mark is taken off).
     */
    insertHtml(html, range = null) {
      this.surface.focus();
      const sel = window.getSelection();
      if (!range && !(sel.rangeCount && this.surface.contains(sel.getRangeAt(0).startContainer))) {
        range = document.createRange();
        range.selectNodeContents(this.surface);
        range.collapse(false);
      }
      if (range) {
        sel.removeAllRanges();
        sel.addRange(range);
      }
      const before = sel.getRangeAt(0);
      const start = textOffset(this.surface, before.startContainer, before.startOffset);
      document.execCommand("insertHTML", false, html);
      const after = sel.rangeCount ? sel.getRangeAt(0) : null;
      const end = after && this.surface.contains(after.endContainer)
        ? textOffset(this.surface, after.endContainer, after.endOffset) : start;
      const nodes = Array.from(this.surface.querySelectorAll("[data-fg-new]"));
      nodes.forEach((n) => n.removeAttribute("data-fg-new"));
      return { start, end, text: this.text().slice(start, end), nodes };
    }

    /** Replace what insertHtml inserted (undoably), unless the author has changed it since. */
    replaceInserted(at, html) {
      const range = document.createRange();
      let card = false;
      if (at.nodes.length) {
        if (!at.nodes.every((n) => n.isConnected && this.surface.contains(n))) return false;
        at.nodes.forEach((n) => n.removeAttribute("contenteditable")); // a card: editable, so it can go
        card = at.nodes.length === 1 && at.nodes[0].matches("blockquote.fg-embed");
        range.setStartBefore(at.nodes[0]);
        range.setEndAfter(at.nodes[at.nodes.length - 1]);
      } else {
        if (at.start === at.end || this.text().slice(at.start, at.end) !== at.text) return false;
        const [sn, so] = pointAt(this.surface, at.start, true);
        const [en, eo] = pointAt(this.surface, at.end);
        range.setStart(sn, so);
        range.setEnd(en, eo);
      }
      this.insertHtml(html, range);
      // Chrome keeps the blockquote around what replaces it; outdent takes it off (undoable too)
      if (card) document.execCommand("outdent");
      this.changed();
      return true;
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
        const holder = document.createElement("div");
        holder.append(...nodes);
        const plain = text || holder.textContent;
        const at = this.insertHtml(holder.innerHTML, range);
        this.changed();
        this.notify("rich", this.t("rich_text"), this.t("plain_text_action"), () => {
          this.replaceInserted(at, plainHtml(plain));
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
        if (IMAGE_URL.test(url)) {
          const at = this.insertHtml(`<img src="${escapeHtml(url)}" alt="" data-fg-new>`, range);
          this.changed();
          this.notify("link", this.t("link_embedded"), this.t("link_action"), () => this.replaceInserted(at, linkHtml(url)));
          return true;
        }
        // a link at once (undoable), then the server's preview card in its place
        const at = this.insertHtml(linkHtml(url, true), range);
        this.changed();
        this.embed(url, at);
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

    /** Ask the server for the link's preview card and put it in place of the pasted link (if the
     *  author has not changed it meanwhile); the notice's link_action turns it back into a
     *  plain, clickable link. No answer (offline, an error): the link stays a link. */
    async embed(url, at) {
      if (!this.config.embedUrl) return;
      let card = null;
      try {
        const response = await fetch(this.config.embedUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(this.form) },
          body: JSON.stringify({ url }),
        });
        if (response.ok) card = await response.json();
      } catch (e) { card = null; }
      const link = at.nodes[0];
      if (!card || !link || !link.isConnected || link.getAttribute("href") !== url || link.textContent !== url) return;
      const placed = this.insertHtml(this.cardHtml(card), this.rangeOver(link));
      if (!placed.nodes.length) return;
      this.changed();
      this.notify("link", this.t("link_embedded"), this.t("link_action"), () => this.replaceInserted(placed, linkHtml(url)));
    }

    rangeOver(node) {
      const range = document.createRange();
      range.selectNode(node);
      return range;
    }

    /** A preview card as HTML the server's sanitizer keeps (a blockquote of paragraphs and one
     *  link), so the post shows it too; class and contenteditable are the editor's own. */
    cardHtml(card) {
      const link = `<a href="${escapeHtml(card.url)}" rel="nofollow noopener"><strong>${escapeHtml(card.title || card.host)}</strong></a>`;
      const lines = [`<p>${link}</p>`];
      if (card.excerpt) lines.push(`<p>${escapeHtml(card.excerpt)}</p>`);
      const meta = [card.author ? this.t("embed_by", { author: card.author }) : null, card.title ? `${card.host}${card.path}` : card.path]
        .filter(Boolean).map(escapeHtml).join(" · ");
      lines.push(`<p><small>${meta}</small></p>`);
      return `<blockquote class="fg-embed fg-embed--${escapeHtml(card.kind || "link")}" contenteditable="false" ` +
        `aria-label="${escapeHtml(this.t("embed_label"))}" data-fg-new>${lines.join("")}</blockquote><p><br></p>`;
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
          // the page's context (the host's context_loader: which forum the post goes to), so a
          // moderator of this forum is told "exempt" while typing exactly when the submit will be
          body: JSON.stringify(this.config.context == null
            ? { content, markup: this.markup }
            : { content, markup: this.markup, context: this.config.context }),
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
        this.setInvalid(false);
        this.wrapper.dataset.fgAction = "";
        return;
      }
      this.wrapper.dataset.fgAction = data.action;
      const tone = data.exempt ? "info" : data.action === "block" ? "error" : "warning";
      const hasHits = (data.matches || []).length > 0;
      const words = hasHits ? uniqueWords(markedPieces(data.highlighted_html || "").pieces) : [];
      this.setServerNotice(data.messages || [], data.exempt ? data.exempt_notice || this.t("moderator") : null, null,
        tone, data.exempt ? [] : words);
      this.setInvalid(data.action === "block" && !data.exempt);
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

    /** aria-invalid on the field the author types in while the draft would be refused. */
    setInvalid(invalid) {
      for (const el of [this.surface, this.element]) {
        if (!el) continue;
        if (invalid) el.setAttribute("aria-invalid", "true");
        else el.removeAttribute("aria-invalid");
      }
    }

    /**
     * The page is the forum's answer to a refused post: focus goes to the notice, the refusal and
     * the words to change are put in an alert region at this moment (a region filled before load
     * is never announced), and the field is marked invalid.
     */
    announceBlocked() {
      const box = this.region.querySelector("[data-fg-server-notice][data-fg-blocked]");
      if (!box) return;
      this.setInvalid(true);
      if (!box.querySelector("[data-fg-words]")) {
        const words = uniqueWords(Array.from(this.region.querySelectorAll("[data-fg-preview] mark"))
          .map((m) => ({ text: m.textContent })));
        if (words.length) box.appendChild(this.wordsParagraph(words));
      }
      if (!focusTaken) {
        focusTaken = true;
        // after load: the browser's scroll to the URL's #fragment would take the focus back
        const focus = () => setTimeout(() => {
          const target = this.region.querySelector("[data-fg-server-notice]");
          if (!target) return;
          target.tabIndex = -1;
          target.focus({ preventScroll: true });
          target.scrollIntoView({ block: "center" });
        }, 0);
        if (document.readyState === "complete") focus();
        else window.addEventListener("load", focus, { once: true });
      }
      const text = Array.from(box.querySelectorAll("p")).map((p) => p.textContent.trim()).join(" ");
      setTimeout(() => { this.alert.textContent = text; }, 100);
    }

    wordsParagraph(words) {
      const p = document.createElement("p");
      p.className = "fg-visually-hidden";
      p.dataset.fgWords = "";
      p.textContent = this.t("words_named", { words: words.join(", ") });
      return p;
    }

    setServerNotice(messages, exemptText, errorText, tone = "error", words = []) {
      const key = JSON.stringify([messages, exemptText, errorText, tone, words]);
      if (key === this.lastNotice) return; // do not re-announce the same notice
      this.lastNotice = key;
      const hadFocus = this.region.contains(document.activeElement); // the refusal the page opened with
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
        if (words.length) box.appendChild(this.wordsParagraph(words));
        this.region.appendChild(box);
        if (hadFocus) {
          box.tabIndex = -1;
          box.focus({ preventScroll: true });
        }
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
    //
    // Highlights are ranges in the CSS Custom Highlight API, painted by ::highlight(fg-hit): they
    // are never nodes in the editor, so no editing gesture can turn them into content (a <mark>
    // deleted by Backspace left its style on the next typed text) and applying them does not touch
    // the DOM, so the browser's undo history stays whole. Without the API the server's
    // highlighted copy is shown below the editor instead.

    clearMarks() {
      if (!this.surface) return;
      if (this.preview) { this.preview.hidden = true; this.preview.textContent = ""; }
      this.setHits([]);
    }

    setHits(hits) {
      this.hits = hits;
      const registry = hitRegistry();
      if (!registry) return;
      let all = registry.get(HIT_NAME);
      if (!all) {
        all = new Highlight();
        registry.set(HIT_NAME, all);
      }
      for (const r of this.hitRanges || []) all.delete(r);
      this.hitRanges = hits.map((h) => h.range);
      for (const r of this.hitRanges) all.add(r);
    }

    highlight(highlightedHtml) {
      const { pieces, text: serverText } = markedPieces(highlightedHtml);
      if (!hitRegistry()) {
        // no Custom Highlight API: the server's highlighted copy below the editor
        if (!this.preview) {
          this.preview = document.createElement("div");
          this.preview.className = "fg-preview fg-preview--live";
          this.footer.before(this.preview);
        }
        this.preview.textContent = "";
        this.preview.appendChild(sanitizeWithMarks(highlightedHtml).fragment);
        this.preview.hidden = false;
        this.hits = pieces.map((p) => ({ text: p.text, title: p.title }));
        return;
      }
      const editorText = textNodes(this.surface).map((n) => n.data).join("");
      const hits = [];
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
        const range = document.createRange();
        const [sn, so] = pointAt(this.surface, start, true);
        const [en, eo] = pointAt(this.surface, start + p.text.length);
        range.setStart(sn, so);
        range.setEnd(en, eo);
        hits.push({ range, text: p.text, title: p.title || this.t("hit_title", { words: p.text }) });
      }
      this.setHits(hits);
    }

    /** The highlighted word's title as the surface's tooltip while the pointer is over it. */
    hoverHit(event) {
      if (!this.hits || !this.hits.length || !document.caretRangeFromPoint) return;
      const at = document.caretRangeFromPoint(event.clientX, event.clientY);
      let title = "";
      if (at) {
        for (const h of this.hits) {
          if (h.range && !h.range.collapsed && h.range.isPointInRange(at.startContainer, at.startOffset) &&
              h.range.comparePoint(at.startContainer, at.startOffset) === 0) { title = h.title; break; }
        }
      }
      if (title) this.surface.title = title;
      else this.surface.removeAttribute("title");
    }

    // --- drafts ----------------------------------------------------------------------------

    scheduleSave() {
      if (this.config.autosave === false) return;
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.save(false), 400);
    }

    /**
     * Keep the draft. `submitting`: the form is being posted; the entry is kept, marked pending,
     * until a page shows that the forum took the post (see postedAfter). A blocked post (422), a
     * network error, a server error or a tab closed mid-submit all leave the draft where it was.
     */
    save(submitting) {
      if (this.config.autosave === false) return;
      clearTimeout(this.saveTimer);
      const content = this.value();
      try {
        if (!content.trim()) localStorage.removeItem(this.storageKey);
        else {
          const entry = { content, savedAt: Date.now() };
          if (submitting) Object.assign(entry, { pending: true, from: location.href.split("#")[0], submittedAt: Date.now() });
          localStorage.setItem(this.storageKey, JSON.stringify(entry));
        }
      } catch (e) { /* storage full or disabled */ }
      this.saveOnServer(content.trim() ? content : null, submitting);
    }

    /** The stored entry when its post is still waiting for the forum's answer. */
    pendingEntry() {
      let saved = null;
      try { saved = JSON.parse(localStorage.getItem(this.storageKey) || "null"); } catch (e) { saved = null; }
      return saved && saved.pending ? saved : null;
    }

    /** Signed-in users' drafts also go to the server (debounced; at once when the form is posted). */
    saveOnServer(content, now) {
      const key = this.draftKey;
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
      if (saved && saved.pending && postedAfter(saved)) {
        // this page is where the forum sent the author after taking the post: the draft is done
        try { localStorage.removeItem(this.storageKey); } catch (e) { /* ignore */ }
        this.saveOnServer(null, true);
        return;
      }
      const server = this.serverDraft;
      if ((!saved || !saved.content) && server) saved = { content: server };
      if (!saved || !saved.content) return;
      this.lastServerDraft = server || null;
      this.setContent(saved.content);
      if (saved.pending) this.save(false); // the post never arrived: an ordinary draft again
      this.notify("restored", this.t("restored"), this.t("clear_action"), () => {
        this.setContent("");
        this.changed();
        this.save(false);
      });
    }
  }

  /**
   * Did the forum take the post of this pending entry? Only when this page is the end of a redirect
   * (Post/Redirect/Get) from the page the form was posted on, that answered without an error and
   * soon after the submit. Anything else (the 422 page itself, a reload, a back after a network or
   * server error, a later visit after a tab was closed) keeps the draft.
   */
  function postedAfter(entry) {
    const nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (!nav || nav.type !== "navigate" || !(nav.redirectCount > 0)) return false;
    if (nav.responseStatus && nav.responseStatus >= 400) return false;
    if (!entry.from || document.referrer.split("#")[0] !== entry.from) return false; // a referrer has no #fragment
    return Date.now() - (entry.submittedAt || 0) < 10 * 60 * 1000;
  }

  /** Sanitize server markup for the plain-text preview, keeping <mark>. */
  function sanitizeWithMarks(html) {
    ALLOWED.MARK = ["title"];
    try { return sanitize(html); } finally { delete ALLOWED.MARK; }
  }

  const editors = new WeakMap();

  /** Turn `element` (a <textarea>, an <input>, a contenteditable, or a selector for one) into a
   *  checked editor; attaching twice returns the same editor. */
  function attach(element, options = {}) {
    if (typeof element === "string") element = document.querySelector(element);
    if (!element) return null;
    if (editors.has(element)) return editors.get(element);
    const editor = new Editor(element, options);
    editors.set(element, editor);
    element.forumGuardEditor = editor;
    return editor;
  }

  function attachAll(root = document) {
    root.querySelectorAll("[data-forum-guard]").forEach((el) => attach(el));
    root.querySelectorAll("[data-fg-attach]").forEach((spec) => {
      const el = document.getElementById(spec.dataset.fgAttach);
      if (el) attach(el, readJson(spec.dataset.fgOptions));
    });
  }

  window.ForumGuardEditor = { attach, attachAll, sanitize };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => attachAll());
  else attachAll();
})();
