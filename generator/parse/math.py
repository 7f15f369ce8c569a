"""Math in Obsidian's syntax for Python-Markdown: `$inline$` and `$$display$$`, kept away from Markdown.

A formula is written as its TeX source, escaped, in `<span class="math math-inline">` or (display)
`<div class="math math-display">` (`<span class="math math-display">` inside running text); the theme's
script draws it with KaTeX in the browser. Nothing inside a formula is Markdown (`a_1*b_2` stays as
written), nothing in code is a formula, `\\$` is a dollar sign, and prices stay text: as in Pandoc and
Obsidian, an opening `$` has a non-space after it, a closing `$` a non-space before it and no digit
after it, so "$5 and $6" is no formula.

KaTeX's errors are known only in the browser; `formula_problem()` finds the obvious faults at build time
(braces, `\\begin`/`\\end`, `\\left`/`\\right`) so that they are reported with the page and line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from html import escape

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.util import AtomicString

MATH_CLASSES = ("math math-inline", "math math-display")
# A `$$` block that starts a line and ends one (not inside a quote or list: those are read inline).
_BLOCK = re.compile(r"^[ ]{0,3}\$\$(?P<tex>(?:[^$\\]|\\.|\$(?!\$))+?)\$\$[ \t]*$", re.MULTILINE | re.DOTALL)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
DISPLAY = r"(?<!\\)\$\$((?:[^$\\]|\\.|\$(?!\$))+?)\$\$"
INLINE = r"(?<![\\$])\$(?![\s$])((?:[^$\\]|\\.)+?)(?<=\S)\$(?![$\d])"
_ENVIRONMENT = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
_LEFT_RIGHT = re.compile(r"\\(left|right)(?![A-Za-z])")


def has_math(html: str) -> bool:
    """Whether rendered HTML holds a formula (the page then loads KaTeX)."""
    return 'class="math math-' in html


def formula_problem(tex: str) -> str:
    """What makes a formula one KaTeX cannot read, when it is an obvious fault; "" when none is seen."""
    depth, i = 0, 0
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            i += 2
            continue
        if char == "%":  # a TeX comment, to the end of the line
            end = tex.find("\n", i)
            i = len(tex) if end < 0 else end
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return "a '}' closes no '{'"
        i += 1
    if depth:
        return f"{depth} '{{' not closed" if depth > 1 else "a '{' is not closed"
    open_envs: list[str] = []
    for m in _ENVIRONMENT.finditer(tex):
        kind, name = m.group(1), m.group(2).strip()
        if kind == "begin":
            open_envs.append(name)
        elif not open_envs:
            return f"\\end{{{name}}} without \\begin{{{name}}}"
        elif open_envs[-1] != name:
            return f"\\end{{{name}}} closes \\begin{{{open_envs[-1]}}}"
        else:
            open_envs.pop()
    if open_envs:
        return f"\\begin{{{open_envs[-1]}}} without \\end{{{open_envs[-1]}}}"
    sides = [m.group(1) for m in _LEFT_RIGHT.finditer(tex)]
    if sides.count("left") != sides.count("right"):
        return "\\left without \\right" if sides.count("left") > sides.count("right") else "\\right without \\left"
    return ""


def _note(md, tex: str) -> None:
    """Keep a formula's fault for the page's warnings (md.kb_math: emptied by md.reset(), read by render_body)."""
    problem = formula_problem(tex)
    if problem:
        md.kb_math.append((tex, problem))


class _BlockPreprocessor(Preprocessor):
    """`$$ … $$` starting and ending lines -> a display block, before block parsing can read its lines as lists,
    headings or paragraphs. Runs after fenced code and raw HTML blocks are set aside, so formulas there stay."""

    def run(self, lines):
        text = "\n".join(lines)
        if "$$" not in text:
            return lines
        out, pos = [], 0
        for m in _BLOCK.finditer(text):
            tex = m.group("tex")
            if _BLANK_LINE.search(tex) or not tex.strip():
                continue
            _note(self.md, tex)
            html = f'<div class="math math-display">{escape(tex.strip(), quote=False)}</div>'
            out += [text[pos:m.start()], "\n\n", self.md.htmlStash.store(html), "\n\n"]
            pos = m.end()
        if not out:
            return lines
        out.append(text[pos:])
        return "".join(out).split("\n")


class _MathProcessor(InlineProcessor):
    """`$…$` (or `$$…$$` inside running text) -> a span holding the TeX as text, untouched by later patterns."""

    def __init__(self, pattern: str, md, css: str):
        super().__init__(pattern, md)
        self.css = css

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown API)
        tex = m.group(1)
        _note(self.md, tex)
        el = etree.Element("span", {"class": self.css})
        el.text = AtomicString(tex.strip() if "display" in self.css else tex)
        return el, m.start(0), m.end(0)


class MathExtension(Extension):
    """Obsidian's `$` and `$$` math."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown API)
        md.registerExtension(self)  # so that md.reset() calls reset()
        self.md, md.kb_math = md, []
        md.ESCAPED_CHARS = [*md.ESCAPED_CHARS, "$"]  # `\$` is a dollar sign, as in Obsidian
        md.preprocessors.register(_BlockPreprocessor(md), "kb_math_blocks", 18)  # after html_block (20)
        # After code spans (190): `$` in code is code. Before escapes (180), wiki links and emphasis.
        md.inlinePatterns.register(_MathProcessor(DISPLAY, md, "math math-display"), "kb_math_display", 188)
        md.inlinePatterns.register(_MathProcessor(INLINE, md, "math math-inline"), "kb_math_inline", 187)

    def reset(self) -> None:
        self.md.kb_math = []
