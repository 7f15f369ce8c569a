/* kbwiki reader: search, hover previews, theme toggle. No dependencies; works from file:// (the data comes
   in shards under search/, each loaded with a <script> element the first time it is needed). */
(function () {
  "use strict";
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var doc = document;

  /* ---------- data: the shards of search/ (emit/search_index.py), each loaded once, on demand ---------- */
  var arrived = {}, asked = {};
  window.KBWIKI_SHARD = function (kind, number, data) { arrived[kind + "-" + number] = data; };

  function shard(kind, number) {
    var name = kind + "-" + number;
    if (!asked[name]) {
      asked[name] = new Promise(function (resolve, reject) {
        if (name in arrived) { resolve(arrived[name]); return; }
        var el = doc.createElement("script");
        el.src = root + "search/" + (kind === "meta" ? kind : name) + ".js";
        el.onload = function () { if (name in arrived) resolve(arrived[name]); else reject(new Error("kbwiki: search/" + name + ".js holds no data")); };
        el.onerror = function () { delete asked[name]; reject(new Error("kbwiki: search/" + name + ".js did not load")); };
        doc.head.appendChild(el);
      });
    }
    return asked[name];
  }

  var meta = null;
  function loadMeta() {
    return shard("meta", 0).then(function (m) {
      if (!meta) {
        meta = m;
        meta.at = {};
        m.fields.forEach(function (name, i) { meta.at[name] = i; });
        meta.previewAt = {};
        m.preview_fields.forEach(function (name, i) { meta.previewAt[name] = i; });
      }
      return meta;
    });
  }

  function pageOf(row, at, id) {
    var t = row[at.type];
    return {
      id: id, url: row[at.url], title: row[at.title], type: meta.types[t], typeLabel: meta.type_labels[t],
      typeColour: meta.type_colours[t] || "", aliases: row[at.aliases] || [], tags: row[at.tags] || [],
      summary: row[at.summary], section: row[at.section], sectionText: row[at.section_text], body: row[at.body] || ""
    };
  }

  /* FNV-1a over code points: the shard a key is in (search_terms.shard_of, the same in Python). */
  function shardOf(key, count) {
    var h = 0x811c9dc5;
    for (var ch of key) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
    return h % count;
  }

  /* The page a link points to, from the preview shard its URL hashes to (null: not a page of this site). */
  function previewPage(href) {
    return loadMeta().then(function (m) {
      var url = new URL(href, location.href);
      url.hash = "";
      url.search = "";
      var base = new URL(root + "x", location.href).href.slice(0, -1);
      if (url.href.indexOf(base) !== 0) return null;
      var path;
      try { path = decodeURIComponent(url.href.slice(base.length)); } catch (e) { return null; }
      return shard("preview", shardOf(path, m.previews)).then(function (rows) {
        if (!rows.byUrl) {
          rows.byUrl = new Map();
          rows.forEach(function (row) { rows.byUrl.set(row[m.previewAt.url], row); });
        }
        var row = rows.byUrl.get(path);
        return row ? pageOf(row, m.previewAt, -1) : null;
      });
    });
  }

  /* Search results' pages: the blocks of rows of page numbers `ids` (pages are numbered in title order). */
  function pagesFor(ids) {
    return Promise.all(ids.map(function (id) {
      var block = Math.floor(id / meta.doc_pages);
      return shard("docs", block).then(function (rows) { return pageOf(rows[id - block * meta.doc_pages], meta.at, id); });
    }));
  }

  /* ---------- text: folding and tokens (CJK runs become character bigrams); search_terms.py does the same ---------- */
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

  /* ---------- the term index: shards by a term's first PREFIX letters (emit/search_shards.py) ---------- */
  var PREFIX = 3;
  // [field, bit, weight], as search_terms.WEIGHTS; the stem is the file name (counted where the title and aliases lack its words)
  var FIELDS = [["title", 1, 10], ["aliases", 2, 8], ["tags", 4, 5], ["summary", 8, 3], ["body", 16, 1], ["stem", 32, 8]];
  var NAME_BITS = 1 | 2 | 32;

  function fieldWeight(bits) {
    var best = 0, count = 0;
    FIELDS.forEach(function (field) { if (bits & field[1]) { count++; if (field[2] > best) best = field[2]; } });
    return best + 0.5 * (count - 1);
  }

  function termShard(token) {
    var chars = Array.from(token);
    return shard("terms", shardOf(chars.length < PREFIX ? token : chars.slice(0, PREFIX).join(""), meta.terms));
  }

  function sortedKeys(data, name) {
    var cache = "_" + name;
    if (!data[cache]) data[cache] = Object.keys(data[name]).sort();
    return data[cache];
  }

  function lowerBound(terms, key) {
    var lo = 0, hi = terms.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (terms[mid] < key) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /* The keys of data[name] that start with `token`, in order. */
  function startingWith(data, name, token) {
    var keys = sortedKeys(data, name), out = [];
    for (var i = lowerBound(keys, token); i < keys.length && keys[i].startsWith(token); i++) out.push(keys[i]);
    return out;
  }

  /* Page number -> {score, bits} for one query word: a whole word or the start of one. */
  function tokenHits(token, data) {
    var hits = new Map(), page, j;
    if (Array.from(token).length < PREFIX) {  // the per-prefix summary: one list, however many words start so
      var list = data.p[token] || [];
      for (page = 0, j = 0; j < list.length; j += 2) {
        page += list[j];
        var code = list[j + 1];
        hits.set(page, { score: fieldWeight((code >> 7) & 63) * ((code >> 13) & 1 ? 1 : 0.7), bits: code & 127 });
      }
      return hits;
    }
    startingWith(data, "t", token).forEach(function (term) {
      var postings = data.t[term], exact = term === token;
      for (page = 0, j = 0; j < postings.length; j += 2) {
        page += postings[j];
        var bits = postings[j + 1], score = fieldWeight(bits & 63) * (exact ? 1 : 0.7), prev = hits.get(page);
        if (!prev) hits.set(page, { score: score, bits: bits });
        else { prev.score = Math.max(prev.score, score); prev.bits |= bits; }
      }
    });
    return hits;
  }

  /* Page number -> title, for the pages whose title's first word starts with `token` (the only ones the
     "title is or starts with the query" bonus can apply to). */
  function headTitles(token, data) {
    var titles = new Map(), lists = Array.from(token).length < PREFIX ? [data.q[token] || []]
      : startingWith(data, "h", token).map(function (term) { return data.h[term]; });
    lists.forEach(function (list) { for (var j = 0; j < list.length; j += 2) titles.set(list[j], list[j + 1]); });
    return titles;
  }

  /* Every query word must match (as a word or the start of one); title, alias and file-name matches rank first. */
  function search(query, limit) {
    var qtokens = Array.from(new Set(tokens(query)));
    if (!qtokens.length) return Promise.resolve([]);
    return loadMeta().then(function () {
      return Promise.all(qtokens.map(termShard));
    }).then(function (shards) {
      var scores = null, names = null;
      qtokens.forEach(function (token, k) {
        var hits = tokenHits(token, shards[k]);
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
      var folded = fold(query.trim()), titles = headTitles(qtokens[0], shards[0]);
      var found = [];
      scores.forEach(function (score, id) {
        var title = titles.has(id) ? fold(titles.get(id)) : null;
        if (title === folded) score += 20;
        else if (title !== null && title.startsWith(folded)) score += 10;
        found.push({ id: id, score: score, tier: names.get(id) });  // tier 1: every word is in the title, an alias or the file name
      });
      // Page numbers follow the titles' order, so ties are in title order.
      found.sort(function (a, b) { return (b.tier - a.tier) || (b.score - a.score) || (a.id - b.id); });
      found = found.slice(0, limit);
      return pagesFor(found.map(function (r) { return r.id; })).then(function (pages) {
        return found.map(function (r, i) { return { page: pages[i], score: r.score, tier: r.tier }; });
      });
    });
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
    if (!meta) status.textContent = "Loading the index…";
    loadMeta().then(update, unavailable);
  }

  function unavailable(err) {
    status.textContent = "Search is unavailable: the index did not load.";
    console.warn(err.message);
  }

  function closeSearch() { if (dialog && dialog.open) dialog.close(); }

  var asking = 0;  // the latest query asked: an earlier one's results, arriving late, are not shown

  function update() {
    if (!meta) return;
    var query = input.value, asked = ++asking;
    (query.trim() ? search(query, 20) : Promise.resolve([])).then(function (found) {
      if (asked === asking) showResults(query, found);
    }, unavailable);
  }

  function showResults(query, found) {
    list.textContent = "";
    results = found;
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
  var preview = null, previewFor = null, wanted = null, showTimer = 0, hideTimer = 0;
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
    return previewPage(link.getAttribute("href"));  // the attribute: also SVG <a>, whose .href is not a string
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
    wanted = link;
    pageFor(link).then(function (page) {
      if (wanted !== link) return;  // left before its data came
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
    wanted = null;
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
  window.kbwiki = { search: function (q, n) { return search(q, n || 20); }, tokens: tokens, fold: fold, shardOf: shardOf };
})();
