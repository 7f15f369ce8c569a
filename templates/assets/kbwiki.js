/* kbwiki reader: search, hover previews, theme toggle. No dependencies; works from file:// (data comes
   from search-index.js, loaded with a <script> element the first time it is needed). */
(function () {
  "use strict";
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var doc = document;

  /* ---------- data: search-index.js, loaded once on demand ---------- */
  var data = null, loading = null;
  function loadData() {
    if (data) return Promise.resolve(data);
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      if (window.KBWIKI_SEARCH) { resolve(); return; }
      var el = doc.createElement("script");
      el.src = root + "search-index.js";
      el.onload = resolve;
      el.onerror = function () { reject(new Error("kbwiki: search-index.js did not load")); };
      doc.head.appendChild(el);
    }).then(function () {
      data = prepare(window.KBWIKI_SEARCH);
      return data;
    });
    return loading;
  }

  function prepare(raw) {
    var f = {};
    raw.fields.forEach(function (name, i) { f[name] = i; });
    var pages = raw.pages.map(function (row, i) {
      return {
        id: i, url: row[f.url], title: row[f.title], type: raw.types[row[f.type]],
        typeLabel: raw.type_labels[row[f.type]], typeColour: (raw.type_colours || [])[row[f.type]] || "", aliases: row[f.aliases], tags: row[f.tags],
        summary: row[f.summary], section: row[f.section], sectionText: row[f.section_text], body: row[f.body]
      };
    });
    var byHref = new Map();
    pages.forEach(function (p) { byHref.set(new URL(root + p.url, location.href).href, p); });
    return { pages: pages, byHref: byHref, index: null };
  }

  /* ---------- text: folding and tokens (CJK runs become character bigrams) ---------- */
  function fold(text) {
    return text.normalize("NFKC").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").normalize("NFC");
  }
  var WORD = /[\p{L}\p{N}]+/gu;
  var CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/u;
  var CJK_SPLIT = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+)/u;

  function tokens(text) {
    var out = [];
    (fold(text).match(WORD) || []).forEach(function (word) {
      word.split(CJK_SPLIT).forEach(function (part) {
        if (!part) return;
        if (CJK.test(part)) {
          var chars = Array.from(part);
          if (chars.length === 1) out.push(part);
          for (var i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
        } else {
          out.push(part);
        }
      });
    });
    return out;
  }

  /* ---------- the index: term -> postings [page, field bits, ...]; sorted terms for prefixes ---------- */
  var FIELDS = [["title", 1, 10], ["aliases", 2, 8], ["tags", 4, 5], ["summary", 8, 3], ["body", 16, 1]];
  var NAME_BITS = 1 | 2;

  function buildIndex(pages) {
    var postings = new Map();
    pages.forEach(function (p) {
      FIELDS.forEach(function (field) {
        var value = p[field[0]];
        var text = Array.isArray(value) ? value.join(" ") : field[0] === "body" ? p.section + " " + p.body : value;
        tokens(text).forEach(function (term) {
          var list = postings.get(term);
          if (!list) { list = []; postings.set(term, list); }
          if (list.length && list[list.length - 2] === p.id) list[list.length - 1] |= field[1];
          else list.push(p.id, field[1]);
        });
      });
    });
    return { postings: postings, terms: Array.from(postings.keys()).sort() };
  }

  function lowerBound(terms, key) {
    var lo = 0, hi = terms.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (terms[mid] < key) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function fieldWeight(bits) {
    var best = 0, count = 0;
    FIELDS.forEach(function (field) { if (bits & field[1]) { count++; if (field[2] > best) best = field[2]; } });
    return best + 0.5 * (count - 1);
  }

  /* Every query token must match (as a word or the start of one); title and alias matches rank first. */
  function search(query, limit) {
    var pages = data.pages;
    if (!data.index) data.index = buildIndex(pages);
    var index = data.index;
    var qtokens = Array.from(new Set(tokens(query)));
    if (!qtokens.length) return [];
    var scores = null, names = null;
    qtokens.forEach(function (token) {
      var hits = new Map();
      for (var i = lowerBound(index.terms, token); i < index.terms.length && index.terms[i].startsWith(token); i++) {
        var term = index.terms[i], list = index.postings.get(term), exact = term === token;
        for (var j = 0; j < list.length; j += 2) {
          var score = fieldWeight(list[j + 1]) * (exact ? 1 : 0.7);
          var prev = hits.get(list[j]);
          if (!prev) hits.set(list[j], { score: score, bits: list[j + 1] });
          else { prev.score = Math.max(prev.score, score); prev.bits |= list[j + 1]; }
        }
      }
      if (scores === null) {
        scores = new Map(); names = new Map();
        hits.forEach(function (hit, id) { scores.set(id, hit.score); names.set(id, (hit.bits & NAME_BITS) ? 1 : 0); });
      } else {
        scores.forEach(function (score, id) {
          var hit = hits.get(id);
          if (!hit) { scores.delete(id); names.delete(id); return; }
          scores.set(id, score + hit.score);
          if (!(hit.bits & NAME_BITS)) names.set(id, 0);
        });
      }
    });
    var folded = fold(query.trim());
    var results = [];
    scores.forEach(function (score, id) {
      var page = pages[id], title = fold(page.title);
      var tier = names.get(id);  // 1: every word is in the title or an alias
      if (title === folded) score += 20;
      else if (title.startsWith(folded)) score += 10;
      results.push({ page: page, score: score, tier: tier });
    });
    results.sort(function (a, b) {
      return (b.tier - a.tier) || (b.score - a.score) || a.page.title.localeCompare(b.page.title) || (a.page.id - b.page.id);
    });
    return results.slice(0, limit);
  }

  /* ---------- highlighting: find query words in the folded text, mark them in the original ---------- */
  function foldWithMap(text) {
    var out = "", map = [], pos = 0;
    Array.from(text).forEach(function (ch) {
      var f = fold(ch);
      for (var k = 0; k < f.length; k++) map.push(pos);
      out += f;
      pos += ch.length;
    });
    map.push(pos);
    return { text: out, map: map };
  }

  function queryWords(query) {
    return fold(query).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  function matchRanges(text, words) {
    var folded = foldWithMap(text), ranges = [];
    words.forEach(function (word) {
      var at = 0, i;
      while ((i = folded.text.indexOf(word, at)) !== -1) {
        ranges.push([folded.map[i], folded.map[i + word.length]]);
        at = i + word.length;
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    return ranges;
  }

  function highlighted(text, words) {
    var frag = doc.createDocumentFragment(), last = 0;
    matchRanges(text, words).forEach(function (r) {
      if (r[0] < last) return;
      frag.appendChild(doc.createTextNode(text.slice(last, r[0])));
      var mark = doc.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      frag.appendChild(mark);
      last = r[1];
    });
    frag.appendChild(doc.createTextNode(text.slice(last)));
    return frag;
  }

  var SNIPPET = 160;
  function snippet(page, words) {
    var candidates = [page.summary, page.section + " " + page.sectionText, page.body, page.aliases.join(", ")];
    for (var i = 0; i < candidates.length; i++) {
      var text = candidates[i], ranges = matchRanges(text, words);
      if (!ranges.length) continue;
      var start = Math.max(0, ranges[0][0] - 50);
      if (start > 0) { var space = text.lastIndexOf(" ", ranges[0][0] - 1); if (space > start - 20 && space >= 0) start = space + 1; }
      var cut = text.slice(start, start + SNIPPET);
      return (start > 0 ? "…" : "") + cut + (start + SNIPPET < text.length ? "…" : "");
    }
    return page.summary || page.sectionText || "";
  }

  /* ---------- search dialog ---------- */
  var dialog, input, list, status, results = [], active = -1, opener = null;

  function el(tag, cls, text) {
    var node = doc.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function makeDialog() {
    dialog = el("dialog", "search-dialog");
    dialog.setAttribute("aria-label", "Search");
    var form = el("div", "search-box");
    input = el("input", "search-input");
    input.type = "search";
    input.placeholder = "Search pages";
    input.setAttribute("aria-label", "Search pages");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "search-results");
    input.setAttribute("aria-autocomplete", "list");
    input.autocomplete = "off";
    input.spellcheck = false;
    var close = el("button", "search-close", "Esc");
    close.type = "button";
    close.setAttribute("aria-label", "Esc: close search");
    close.addEventListener("click", closeSearch);
    form.appendChild(input);
    form.appendChild(close);
    list = el("ul", "search-results");
    list.id = "search-results";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Results");
    status = el("p", "search-status");
    status.setAttribute("aria-live", "polite");
    var help = el("p", "search-help", "↑ ↓ to choose, Enter to open, Esc to close");
    dialog.appendChild(form);
    dialog.appendChild(status);
    dialog.appendChild(list);
    dialog.appendChild(help);
    doc.body.appendChild(dialog);
    input.addEventListener("input", update);
    input.addEventListener("keydown", onKey);
    dialog.addEventListener("close", function () { if (opener) opener.focus(); });
    dialog.addEventListener("click", function (e) { if (e.target === dialog) closeSearch(); });
  }

  function openSearch() {
    if (!dialog) makeDialog();
    opener = doc.activeElement;
    if (!dialog.open) dialog.showModal();
    input.focus();
    input.select();
    status.textContent = data ? "" : "Loading the index…";
    loadData().then(update, function (err) { status.textContent = "Search is unavailable: the index did not load."; console.warn(err.message); });
  }

  function closeSearch() { if (dialog && dialog.open) dialog.close(); }

  function update() {
    if (!data) return;
    var query = input.value;
    list.textContent = "";
    results = query.trim() ? search(query, 20) : [];
    active = results.length ? 0 : -1;
    var words = queryWords(query);
    results.forEach(function (r, i) {
      // An option holds no link (nothing interactive inside an option); a click or Enter opens the page.
      var item = el("li", "search-result");
      item.id = "search-result-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("data-href", root + r.page.url);
      var link = el("span", "search-result-body");
      var label = el("span", "type-label type-" + r.page.type.replace(/ /g, "-") + " " + r.page.typeColour, r.page.typeLabel);
      var title = el("span", "search-result-title");
      title.appendChild(highlighted(r.page.title, words));
      var snip = el("span", "search-result-snippet");
      snip.appendChild(highlighted(snippet(r.page, words), words));
      link.appendChild(label);
      link.appendChild(title);
      link.appendChild(snip);
      item.appendChild(link);
      item.addEventListener("mousemove", function () { if (active !== i) { active = i; mark(); } });
      item.addEventListener("click", function () { location.href = item.getAttribute("data-href"); });
      list.appendChild(item);
    });
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
    status.textContent = !query.trim() ? "" : results.length ? results.length + (results.length === 20 ? "+ results" : results.length === 1 ? " result" : " results") : "No pages match “" + query.trim() + "”.";
    mark();
  }

  function mark() {
    Array.prototype.forEach.call(list.children, function (item, i) {
      item.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", "search-result-" + active);
      list.children[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function onKey(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!results.length) return;
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + results.length) % results.length;
      mark();
    } else if (e.key === "Escape") {
      e.preventDefault();  // a search field would only clear itself
      closeSearch();
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (active >= 0) location.href = list.children[active].getAttribute("data-href");
    }
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  doc.addEventListener("keydown", function (e) {
    if ((e.key === "k" || e.key === "K") && (e.ctrlKey || e.metaKey) && !e.altKey) {
      e.preventDefault();
      openSearch();
    } else if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      e.preventDefault();
      openSearch();
    }
  });

  /* ---------- hover previews: mouse hover on devices that hover, keyboard focus everywhere ---------- */
  var preview = null, previewFor = null, showTimer = 0, hideTimer = 0;
  var canHover = window.matchMedia && window.matchMedia("(hover: hover) and (pointer: fine)").matches;

  function internalLink(target) {
    var link = target && target.closest && target.closest("a[href]");
    if (!link || link.closest(".search-dialog, .preview, .site-header, .site-footer")) return null;
    if (link.classList.contains("missing") || link.classList.contains("headerlink")) return null;
    var href = link.getAttribute("href");
    if (!href || href.charAt(0) === "#" || /^[a-z][a-z0-9+.-]*:/i.test(href)) return null;
    return link;
  }

  function pageFor(link) {
    var url = new URL(link.getAttribute("href"), location.href);  // also SVG <a>, whose .href is not a string
    url.hash = "";
    return data.byHref.get(url.href) || null;
  }

  function makePreview() {
    preview = el("div", "preview");
    preview.id = "kbwiki-preview";
    preview.setAttribute("role", "tooltip");
    preview.hidden = true;
    preview.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    preview.addEventListener("mouseleave", scheduleHide);
    (doc.querySelector("main") || doc.body).appendChild(preview);  // inside a landmark, like the links it describes
  }

  function fill(page) {
    preview.textContent = "";
    var head = el("p", "preview-head");
    head.appendChild(el("span", "type-label type-" + page.type.replace(/ /g, "-") + " " + page.typeColour, page.typeLabel));
    head.appendChild(el("strong", "preview-title", page.title));
    preview.appendChild(head);
    if (page.summary) preview.appendChild(el("p", "preview-summary", page.summary));
    if (page.section) preview.appendChild(el("p", "preview-section", page.section));
    if (page.sectionText && page.sectionText !== page.summary) preview.appendChild(el("p", "preview-text", page.sectionText));
  }

  /* A backlink card's context (how its page links to this one: data-context-* on the card, plain text) goes
     into the preview of its link, under the title. */
  function addContext(link) {
    var card = link.closest(".card[data-context-mark]");
    if (!card) return;
    var data = card.dataset, context = el("p", "preview-context");
    context.appendChild(doc.createTextNode(data.contextBefore || ""));
    if (data.contextMark) context.appendChild(el("mark", "", data.contextMark));
    context.appendChild(doc.createTextNode(data.contextAfter || ""));
    if (data.contextMore) context.appendChild(el("span", "preview-context-more", " " + data.contextMore));
    preview.insertBefore(context, preview.children[1] || null);
  }

  function place(link) {
    var rect = link.getBoundingClientRect();
    var width = Math.min(360, doc.documentElement.clientWidth - 16);
    preview.style.width = width + "px";
    var left = Math.min(Math.max(8, rect.left), doc.documentElement.clientWidth - width - 8);
    preview.style.left = (left + window.scrollX) + "px";
    var below = rect.bottom + 8, height = preview.offsetHeight;
    var top = below + height > window.innerHeight && rect.top - height - 8 > 0 ? rect.top - height - 8 : below;
    preview.style.top = (top + window.scrollY) + "px";
  }

  function show(link) {
    loadData().then(function () {
      var page = pageFor(link);
      if (!page || (location.href.split("#")[0] === new URL(root + page.url, location.href).href)) return;
      if (!preview) makePreview();
      fill(page);
      addContext(link);
      preview.hidden = false;
      previewFor = link;
      link.setAttribute("aria-describedby", preview.id);
      place(link);
    }, function () { /* no index: no previews */ });
  }

  function hide() {
    clearTimeout(showTimer);
    if (preview) preview.hidden = true;
    if (previewFor) previewFor.removeAttribute("aria-describedby");
    previewFor = null;
  }

  function scheduleHide() {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 200);
  }

  function intent(link, delay) {
    clearTimeout(hideTimer);
    clearTimeout(showTimer);
    if (previewFor === link) return;
    showTimer = setTimeout(function () { show(link); }, delay);
  }

  doc.addEventListener("mouseover", function (e) {
    if (!canHover) return;
    var link = internalLink(e.target);
    if (link) intent(link, 250);
  });
  doc.addEventListener("mouseout", function (e) {
    var link = internalLink(e.target);
    if (link && !link.contains(e.relatedTarget)) scheduleHide();
  });
  doc.addEventListener("focusin", function (e) {
    var link = internalLink(e.target);
    if (link && link.matches(":focus-visible")) intent(link, 0);
    else if (previewFor) hide();
  });
  doc.addEventListener("focusout", function (e) { if (internalLink(e.target)) scheduleHide(); });
  doc.addEventListener("keydown", function (e) { if (e.key === "Escape" && preview && !preview.hidden) hide(); });

  /* ---------- theme toggle (theme.js applied the remembered choice before paint) ---------- */
  function effectiveTheme() {
    var set = doc.documentElement.getAttribute("data-theme");
    if (set) return set;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setupTheme() {
    var button = doc.querySelector(".theme-toggle");
    if (!button) return;
    var sync = function () { button.setAttribute("aria-pressed", effectiveTheme() === "dark" ? "true" : "false"); };
    button.hidden = false;
    sync();
    button.addEventListener("click", function () {
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      doc.documentElement.setAttribute("data-theme", next);
      try { localStorage.setItem("kbwiki-theme", next); } catch (e) { /* not remembered */ }
      sync();
      doc.dispatchEvent(new CustomEvent("kbwiki:theme"));
    });
    if (window.matchMedia) window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", sync);
  }

  function setupSearchButton() {
    var button = doc.querySelector(".search-button");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", openSearch);
  }

  /* ---------- contents: mark the section being read ---------- */
  function setupContents() {
    var links = Array.prototype.slice.call(doc.querySelectorAll(".toc a[href^='#']"));
    var targets = links.map(function (a) { return doc.getElementById(decodeURIComponent(a.getAttribute("href").slice(1))); });
    if (!links.length) return;
    var pending = false, current = null;
    function update() {
      pending = false;
      var found = null;
      targets.forEach(function (t, i) { if (t && t.getBoundingClientRect().top < 120) found = links[i]; });
      if (found === current) return;
      if (current) current.removeAttribute("aria-current");
      if (found) found.setAttribute("aria-current", "location");
      current = found;
    }
    window.addEventListener("scroll", function () { if (!pending) { pending = true; requestAnimationFrame(update); } }, { passive: true });
    update();
  }

  setupTheme();
  setupSearchButton();
  setupContents();
  window.kbwiki = { search: function (q, n) { return loadData().then(function () { return search(q, n || 20); }); }, tokens: tokens };
})();
