/* kbwiki: formulas drawn by KaTeX (vendor/katex), loaded only on pages that have one. Each
   .math element holds its TeX source as text; a formula KaTeX cannot read keeps that source, marked
   as an error, with KaTeX's message as its title (the build has warned about it with page and line). */
(function () {
  "use strict";
  var katex = window.katex;
  if (!katex) return;
  var formulas = document.querySelectorAll(".math.math-inline, .math.math-display");
  for (var i = 0; i < formulas.length; i++) {
    var el = formulas[i];
    var tex = el.textContent;
    try {
      katex.render(tex, el, {
        displayMode: el.classList.contains("math-display"),
        throwOnError: true, // caught: the source stays in view with the message
        strict: "ignore", // MathJax (Obsidian's renderer) takes what LaTeX would frown on
        trust: false, // no \href, \url, \includegraphics, \html…
        maxSize: 50, maxExpand: 1000
      });
      el.classList.add("math-drawn");
    } catch (error) {
      el.textContent = tex; // katex.render empties the element before it parses
      el.classList.add("math-error");
      el.setAttribute("title", "This formula could not be drawn: " + (error && error.message ? error.message : error));
    }
  }
})();
