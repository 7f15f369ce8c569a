"""Python-Markdown's inline pass, skipping every pattern whose required text is absent: same output, less work.

Python-Markdown tries each of its ~17 inline patterns on each piece of text, in priority order, one
Python call per try (most of a page's conversion time). A pattern's regular expression can only match
text that holds its trigger (`[` for links, `*` or `_` for emphasis, ...): where the trigger is
absent, the try is skipped. Skipping is exact: a pattern that is skipped would have found no match,
and a match only replaces text with placeholders (`\\x02klzzwxh:0001\\x03`), which hold no trigger,
so text without a trigger never gains one. A pattern is only given a trigger when its regular
expression is the one the trigger was worked out for; any other (a newer Python-Markdown, another
extension) is always tried, as before. tests/test_fastinline.py checks the output against the stock
processor on real pages and on generated text.
"""

from __future__ import annotations

import hashlib
import inspect

from markdown import treeprocessors, util

# (pattern name, its regular expression as Python-Markdown writes it) -> texts one of which every match holds
_TRIGGERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("backtick", r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)"): ("`",),
    ("kb_wikilink", r"(!?)\[\[([^\[\]\n]+?)\]\]"): ("[[",),
    ("escape", r"\\(.)"): ("\\",),
    ("footnote", r"\[\^([^\]]*)\]"): ("[^",),
    ("reference", r"(?<!\!)\["): ("[",),
    ("link", r"(?<!\!)\["): ("[",),
    ("image_link", r"\!\["): ("![",),
    ("image_reference", r"\!\["): ("![",),
    ("short_reference", r"(?<!\!)\["): ("[",),
    ("short_image_ref", r"\!\["): ("![",),
    ("autolink", r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>"): ("<",),
    ("automail", r"<([^<> !]+@[^@<> ]+)>"): ("<",),
    ("linebreak", r"  \n"): ("  \n",),
    ("html", r"""(<(\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>]++))?+)*+\s*+/?|!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]|!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)"""): ("<",),  # every alternative sits inside <...>
    ("entity", r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)"): ("&",),
    ("kb_highlight", r"(==)(?=\S)(.+?)(?<=\S)=="): ("==",),
    ("em_strong", r"\*|_"): ("*", "_"),  # Python-Markdown 3.11's delimiter runs
    ("em_strong", r"\*"): ("*",),  # before 3.11: one processor per delimiter
    ("em_strong2", r"_"): ("_",),
    ("not_strong", r"((^|(?<=\s))(\*{1,3}|_{1,3})(?=\s|$))"): ("*", "_"),
}


def trigger(name: str, pattern) -> tuple[str, ...] | None:
    """The texts one of which every match of this inline pattern holds; None when not known (always try it)."""
    regex = getattr(pattern, "pattern", None)
    return _TRIGGERS.get((name, regex)) if isinstance(regex, str) else None


def is_stock(function, digest: str) -> bool:
    """Whether a Python-Markdown function is the very one a speed-up here was written against (its source's
    hash); a speed-up stands aside for any other version, which then runs as it is."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16] == digest


# The loop replaced here, as Python-Markdown 3.10 and 3.11 write it.
_SUPPORTED = (hasattr(treeprocessors.InlineProcessor, "_InlineProcessor__applyPattern")
              and is_stock(getattr(treeprocessors.InlineProcessor, "_InlineProcessor__handleInline", None), "fe27babc114aed0a"))


class FastInlineProcessor(treeprocessors.InlineProcessor):
    """treeprocessors.InlineProcessor with triggers checked before each pattern is tried."""

    def run(self, tree, ancestors=None):
        registry = self.md.inlinePatterns
        patterns = list(registry)  # in priority order; fixed for the whole run
        names = [registry._priority[i].name for i in range(len(registry))]  # noqa: SLF001 (names in that order)
        self._patterns = patterns
        self._triggers = [trigger(name, pattern) for name, pattern in zip(names, patterns)]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802 N803 (overrides the private method)
        if isinstance(data, util.AtomicString):
            return data
        patterns, triggers = self._patterns, self._triggers
        apply = self._InlineProcessor__applyPattern
        count = len(patterns)
        start = 0
        while patternIndex < count:
            needs = triggers[patternIndex]
            if needs is not None and not any(text in data for text in needs):
                patternIndex += 1
                start = 0
                continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def install(md) -> None:
    """Put the fast inline pass in place of the stock one (left as it is on a Python-Markdown without the hooks)."""
    if _SUPPORTED and "inline" in md.treeprocessors:
        md.treeprocessors.register(FastInlineProcessor(md), "inline", 20)
