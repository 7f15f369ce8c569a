/* kbwiki: ```mermaid diagrams drawn by Mermaid (vendor/mermaid.min.js), loaded only on pages that have one.
   Each div.diagram holds its source as code (what a reader without script sees). The drawing follows the
   theme, and is drawn again when the theme changes; a diagram Mermaid cannot read keeps its source, with
   Mermaid's message under it, and the rest of the page is untouched. When every diagram is done the root
   element gets data-diagrams="done". */
(function () {
  "use strict";
  var mermaid = window.mermaid;
  var doc = document;
  var diagrams = Array.prototype.slice.call(doc.querySelectorAll(".diagram.diagram-mermaid"));
  if (!mermaid || !diagrams.length) return;
  var drawn = 0; // ids for Mermaid's drawings, unique in the page
  var round = 0; // a theme change while drawing starts a new round; the old one stops

  function dark() {
    var chosen = doc.documentElement.getAttribute("data-theme");
    if (chosen) return chosen === "dark";
    return !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  }

  function part(el, name, tag) {
    var found = el.querySelector(":scope > ." + name);
    if (!found) {
      found = doc.createElement(tag);
      found.className = name;
      el.appendChild(found);
    }
    return found;
  }

  function draw(el, mine) {
    var source = el.querySelector(".diagram-source").textContent;
    var id = "kbwiki-diagram-" + (++drawn);
    return mermaid.render(id, source).then(function (result) {
      if (mine !== round) return;
      var drawing = part(el, "diagram-drawing", "div");
      drawing.innerHTML = result.svg; // Mermaid's own output, sanitized by it (securityLevel "strict")
      if (result.bindFunctions) result.bindFunctions(drawing);
      var error = el.querySelector(":scope > .diagram-error");
      if (error) el.removeChild(error);
      el.classList.remove("diagram-failed");
      el.classList.add("diagram-drawn");
    }, function (reason) {
      var leftover = doc.getElementById("d" + id); // what Mermaid drew into while it parsed
      if (leftover && leftover.parentNode) leftover.parentNode.removeChild(leftover);
      if (mine !== round) return;
      var drawing = el.querySelector(":scope > .diagram-drawing");
      if (drawing) el.removeChild(drawing);
      var message = reason && reason.message ? reason.message : String(reason);
      var error = part(el, "diagram-error", "p");
      error.setAttribute("role", "note");
      error.textContent = "This diagram could not be drawn:\n" + message;
      el.classList.remove("diagram-drawn");
      el.classList.add("diagram-failed");
    });
  }

  function drawAll() {
    var mine = ++round;
    doc.documentElement.removeAttribute("data-diagrams");
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict", suppressErrorRendering: true,
                         theme: dark() ? "dark" : "default" });
    var chain = Promise.resolve();
    diagrams.forEach(function (el) {
      chain = chain.then(function () { return mine === round ? draw(el, mine) : null; });
    });
    chain.then(function () {
      if (mine === round) doc.documentElement.setAttribute("data-diagrams", "done");
    });
  }

  drawAll();
  doc.addEventListener("kbwiki:theme", drawAll);
  if (window.matchMedia) {
    var query = window.matchMedia("(prefers-color-scheme: dark)");
    var follow = function () { if (!doc.documentElement.getAttribute("data-theme")) drawAll(); };
    if (query.addEventListener) query.addEventListener("change", follow);
  }
})();
