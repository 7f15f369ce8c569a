// kbwiki serve: reload the page after each rebuild, and show build problems over it.
// Added to HTML responses by the development server only; never part of a built site.
(function () {
  "use strict";
  var script = document.currentScript;
  var pageBuild = script ? Number(script.getAttribute("data-build")) : NaN;
  var OVERLAY_ID = "kbwiki-overlay";

  function clearOverlay() {
    var old = document.getElementById(OVERLAY_ID);
    if (old) old.remove();
  }

  function el(tag, style, text) {
    var node = document.createElement(tag);
    node.setAttribute("style", style);
    if (text) node.textContent = text; // never innerHTML: messages quote the author's files
    return node;
  }

  function showOverlay(payload) {
    clearOverlay();
    var box = el("div", "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.92);" +
      "color:#f4f4f4;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:2rem;");
    box.id = OVERLAY_ID;
    box.setAttribute("role", "alert");
    box.appendChild(el("h2", "margin:0 0 .5rem;font-size:1.1rem;color:#ff8a80;",
      "kbwiki: the site was not rebuilt; you are looking at the last good version"));
    var lines = (payload.problems || []).map(function (p) { return p.text; });
    if (payload.failure) lines.unshift(payload.failure);
    box.appendChild(el("pre", "white-space:pre-wrap;margin:0 0 1rem;", lines.join("\n")));
    var close = el("button", "font:inherit;padding:.2rem .8rem;cursor:pointer;", "Hide (Esc)");
    close.addEventListener("click", clearOverlay);
    box.appendChild(close);
    document.body.appendChild(box);
  }

  document.addEventListener("keydown", function (e) { if (e.key === "Escape") clearOverlay(); });

  var source = new EventSource("/__kbwiki/events");
  source.addEventListener("hello", function (e) {
    // The site changed between loading this page and connecting: load it again.
    if (!isNaN(pageBuild) && JSON.parse(e.data).build !== pageBuild) location.reload();
  });
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("overlay", function (e) { showOverlay(JSON.parse(e.data)); });
  source.addEventListener("clear", clearOverlay);
})();
