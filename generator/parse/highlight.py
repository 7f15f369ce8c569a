"""Fenced code at build time: a language Pygments knows is highlighted into CSS classes (no script), and a
```mermaid fence becomes a diagram placeholder the theme's script draws. Every other fence (no language,
one Pygments does not know) is left to Python-Markdown's fenced_code, which writes it as it always has.

Highlighting happens while parsing, so the parse cache keeps its HTML: a rebuild pays nothing for it.
"""

from __future__ import annotations

import functools
from html import escape

from markdown.extensions import Extension
from markdown.extensions.codehilite import parse_hl_lines
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.preprocessors import Preprocessor

# Python-Markdown's own fence syntax: the same fences are ours or fenced_code's, never read two ways.
FENCE = FencedBlockPreprocessor.FENCED_BLOCK_RE
DIAGRAM_LANGUAGES = frozenset({"mermaid"})


@functools.lru_cache(maxsize=1)
def _aliases() -> frozenset[str]:
    """Every language name of the lexers Pygments ships. Asking Pygments for a name it lacks would make it
    search every installed package for plugin lexers, about half a second in each parse process."""
    from pygments.lexers import get_all_lexers  # imported on the first fence with a language, not before
    return frozenset(alias for _, aliases, _, _ in get_all_lexers(plugins=False) for alias in aliases)


@functools.lru_cache(maxsize=256)
def lexer_for(language: str):
    """The Pygments lexer of a fence's language, or None: unknown, or plain text (nothing to colour)."""
    if language not in _aliases():
        return None
    from pygments.lexers import get_lexer_by_name
    from pygments.lexers.special import TextLexer
    # stripnl: keep blank lines at either end, as fenced_code does. handlecodeblocks: Markdown and reST lexers
    # would look up the language of each code block they hold by name, plugins and all (see _aliases).
    lexer = get_lexer_by_name(language, stripnl=False, handlecodeblocks=False)
    return None if isinstance(lexer, TextLexer) else lexer


@functools.lru_cache(maxsize=8)
def _formatter(hl_lines: tuple[int, ...] = ()):
    from pygments.formatters import HtmlFormatter
    return HtmlFormatter(nowrap=True, hl_lines=list(hl_lines))  # spans with Pygments' short classes; we wrap them


def highlighted(code: str, language: str, hl_lines: tuple[int, ...] = ()) -> str | None:
    """`code` as `<pre class="highlight"><code class="language-…">` with token spans; None for a language
    Pygments does not colour (the fence is then plain code)."""
    lexer = lexer_for(language.lower())
    if lexer is None:
        return None
    from pygments import highlight
    spans = highlight(code, lexer, _formatter(hl_lines))
    return f'<pre class="highlight"><code class="language-{escape(language)}">{spans}</code></pre>'


def has_diagram(html: str) -> bool:
    """Whether rendered HTML holds a diagram placeholder (the page then loads Mermaid)."""
    return 'class="diagram diagram-mermaid"' in html


def diagram_placeholder(source: str, language: str = "mermaid") -> str:
    """A diagram's source, shown as code until the theme's script replaces it with the drawing."""
    return (f'<div class="diagram diagram-{language}"><pre class="diagram-source">'
            f'<code class="language-{language}">{escape(source, quote=False)}</code></pre></div>')


class _FencePreprocessor(Preprocessor):
    """Runs just before fenced_code: takes the fences it can highlight or draw, leaves the others in place."""

    def run(self, lines):
        text = "\n".join(lines)
        if "```" not in text and "~~~" not in text:
            return lines
        out, pos = [], 0
        for m in FENCE.finditer(text):
            language = m.group("lang") or ""
            if m.group("attrs") is not None or not language:
                continue
            if language.lower() in DIAGRAM_LANGUAGES:
                html = diagram_placeholder(m.group("code"), language.lower())
            else:
                html = highlighted(m.group("code"), language, tuple(parse_hl_lines(m.group("hl_lines"))))
                if html is None:
                    continue
            out += [text[pos:m.start()], "\n", self.md.htmlStash.store(html), "\n"]
            pos = m.end()
        if not out:
            return lines
        out.append(text[pos:])
        return "".join(out).split("\n")


class CodeExtension(Extension):
    """Highlighted fences and diagram placeholders."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown API)
        md.preprocessors.register(_FencePreprocessor(md), "kb_code", 26)  # fenced_code is 25
