"""Python-Markdown, faster, with the same output: the inline pass, some block tests, a link's brackets, the
block-level test and the toc extension, each doing less work.

The inline pass skips every pattern whose required text is absent; so do the tests of the hash and setext
headings, rules, block quotes and tables (a block without `#` is not searched for a `#` heading). A link's
text is found from bracket to bracket (get_text), and whether a tag is block-level from a set (is_block_level).

Python-Markdown tries each of its ~17 inline patterns on each piece of text, in priority order, one
Python call per try (most of a page's conversion time). A pattern's regular expression can only match
text that holds its trigger (`[` for links, `*` or `_` for emphasis, ...): where the trigger is
absent, the try is skipped. Skipping is exact: a pattern that is skipped would have found no match,
and a match only replaces text with placeholders (`\\x02klzzwxh:0001\\x03`), which hold no trigger,
so text without a trigger never gains one. A pattern is only given a trigger when its regular
expression is the one the trigger was worked out for; any other (a newer Python-Markdown, another
extension) is always tried, as before.

The toc extension names a heading of plain text without serializing it, and builds its HTML table of
contents only for a `[TOC]` marker (kbwiki shows its own).

Each stands aside (the stock code runs) for any Python-Markdown whose replaced function is not the one it
was written against. tests/test_mdspeed.py checks the output against stock Python-Markdown on real pages
and on generated text.
"""

from __future__ import annotations

import functools
import hashlib
import html
import inspect
import re
import xml.etree.ElementTree as etree

import markdown
from markdown import inlinepatterns, treeprocessors, util
from markdown.extensions import toc
from markdown.extensions.toc import TocExtension, TocTreeprocessor

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
    ("kb_math_display", r"(?<!\\)\$\$((?:[^$\\]|\\.|\$(?!\$))+?)\$\$"): ("$$",),
    ("kb_math_inline", r"(?<![\\$])\$(?![\s$])((?:[^$\\]|\\.)+?)(?<=\S)\$(?![$\d])"): ("$",),
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
    hash); a speed-up stands aside for any other version, which then runs as it is. Answered once per
    function (reading the source takes ~4 ms, and every Markdown instance asks for its block tests)."""
    key = (function, digest)
    found = _STOCK.get(key)
    if found is None:
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            found = False
        else:
            found = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16] == digest
        _STOCK[key] = found
    return found


_STOCK: dict[tuple, bool] = {}


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
        self._texts = sorted({text for needs in self._triggers if needs is not None for text in needs})
        self._orders: dict[tuple[bool, ...], tuple[int, ...]] = {}
        return super().run(tree, ancestors)

    def _order(self, data: str) -> tuple[int, ...]:
        """The patterns to try on `data`, in priority order: those whose trigger it holds, and those without one.
        Looked up by which of the triggers `data` holds (a text holds few of them: a handful of lists serve a page)."""
        present = tuple(map(data.__contains__, self._texts))
        found = self._orders.get(present)
        if found is None:
            held = {text for text, here in zip(self._texts, present) if here}
            found = self._orders[present] = tuple(i for i, needs in enumerate(self._triggers)
                                                  if needs is None or not held.isdisjoint(needs))
        return found

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802 N803 (overrides the private method)
        if isinstance(data, util.AtomicString):
            return data
        # A match only puts placeholders in place of text, and they hold no trigger: a pattern whose trigger
        # `data` lacks now finds none later either. Each pattern is tried until it matches no more, as stock does.
        patterns = self._patterns
        apply = self._InlineProcessor__applyPattern
        start = 0
        for index in self._order(data):
            if index < patternIndex:
                continue
            matched = True
            while matched:
                data, matched, start = apply(patterns[index], data, index, start)
        return data


# Block processors whose test() searches a block for a regular expression that only a block holding one of these
# texts can match: (registered name, the test's source hash, the expression) -> the texts. An HR's expression
# repeats a run of -, _ or * three times with at most two spaces between runs, so two runs meet somewhere.
_BLOCK_TRIGGERS: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("hashheader", "b05b7970153b822e", r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)"): ("#",),
    ("hashheader", "b05b7970153b822e", r"(?:^|\n)(?P<level>#{1,6})(?=[ \t\n]|$)(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)"):
        ("#",),  # obsidian.py's, which wants a space after the hashes
    ("setextheader", "f4517c337decc072", r"^.*?\n(?:=+|-+)[ ]*(\n|$)"): ("\n=", "\n-"),
    ("hr", "d97db1d673f15c75", r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))(?P=atomicgroup)[ ]*$"):
        ("--", "- -", "-  -", "__", "_ _", "_  _", "**", "* *", "*  *"),
    ("quote", "342a21ffb26b7052", r"(^|\n)[ ]{0,3}>[ ]?(.*)"): (">",),
    ("table", "399019a4927efd46", r"(?<!\\)(?:\\\\)*\|$"): ("|",),  # a row without a pipe is one cell: no table
}
_EXPRESSION = {"table": "RE_END_BORDER"}  # where a processor keeps the expression above (else RE)
_ALSO_STOCK = {"table": ("_split", "d211f03a810f5a53")}  # what else the trigger relies on: cells split at pipes alone


def _block_test(stock, needs: tuple[str, ...]):
    """A block processor's test() that answers False without searching a block holding none of `needs`."""
    if len(needs) == 1:
        (need,) = needs
        return lambda parent, block: need in block and stock(parent, block)
    return lambda parent, block: any(map(block.__contains__, needs)) and stock(parent, block)


_BRACKET = re.compile(r"[\[\]]")
_GET_TEXT_IS_STOCK = is_stock(inlinepatterns.LinkInlineProcessor.getText, "7d0978a16aae3e5b")


def get_text(data: str, index: int) -> tuple[str, int, bool]:
    """LinkInlineProcessor.getText(): the text from `index` to the `]` that closes the `[` before it (nested pairs
    inside), the index after that `]`, and whether there is one; stepping from bracket to bracket, not through
    every character."""
    depth = 1
    for match in _BRACKET.finditer(data, index):
        depth += 1 if match.group() == "[" else -1
        if not depth:
            end = match.start()
            return data[index:end], end + 1, True
    return data[index:], max(index, len(data)), False


_BLOCK_LEVEL_IS_STOCK = is_stock(markdown.Markdown.is_block_level, "dc551fffd52a0eee")


def is_block_level(tags: frozenset[str], tag) -> bool:
    """Markdown.is_block_level(), against a set of the instance's block_level_elements."""
    return isinstance(tag, str) and tag.lower().rstrip("/") in tags


def install(md) -> None:
    """Put the fast inline pass in place of the stock one (left as it is on a Python-Markdown without the hooks),
    and give the block processors of _BLOCK_TRIGGERS their triggers (each only where its test and expression
    are the very ones the trigger was worked out for)."""
    if _SUPPORTED and "inline" in md.treeprocessors:
        md.treeprocessors.register(FastInlineProcessor(md), "inline", 20)
    if _BLOCK_LEVEL_IS_STOCK and type(md.block_level_elements) is list:
        # Asked of every element by the serializer and the prettifier, of a list of ~60 tags: a set now. The list
        # becomes a tuple, so that an extension changing it afterwards fails instead of being missed here.
        md.block_level_elements = tuple(md.block_level_elements)
        md.is_block_level = functools.partial(is_block_level, frozenset(md.block_level_elements))
    for pattern in md.inlinePatterns:  # links, images and references, each bracket matched the same way
        if (isinstance(pattern, inlinepatterns.LinkInlineProcessor) and _GET_TEXT_IS_STOCK
                and type(pattern).getText is inlinepatterns.LinkInlineProcessor.getText):
            pattern.getText = get_text
    blocks = md.parser.blockprocessors
    for (name, digest, regex), needs in _BLOCK_TRIGGERS.items():
        if name not in blocks:
            continue
        processor = blocks[name]
        expression = getattr(processor, _EXPRESSION.get(name, "RE"), None)
        also = _ALSO_STOCK.get(name)
        if (getattr(expression, "pattern", expression) == regex and is_stock(type(processor).test, digest)
                and (also is None or is_stock(getattr(type(processor), also[0], None), also[1]))):
            processor.test = _block_test(processor.test, needs)


class FastTocTreeprocessor(TocTreeprocessor):
    """The toc extension's heading ids, permalinks and tokens; its HTML table of contents (which we never show
    but for a `[TOC]` marker) is built only when the page holds the marker, and a heading of plain text
    (most are) is named without serializing it and running every postprocessor over it."""

    def run(self, doc):  # the stock run() of Python-Markdown 3.11, with _heading_html() for render_inner_html(remove_fnrefs(el))
        if not _TOC_IS_STOCK:
            return super().run(doc)
        used_ids = {el.attrib["id"] for el in doc.iter() if "id" in el.attrib}
        id_counters: dict[str, int] = {}
        toc_tokens = []
        for el in doc.iter():
            if isinstance(el.tag, str) and self.header_rgx.match(el.tag):
                self.set_level(el)
                innerhtml = _heading_html(el, self.md)
                name = toc.strip_tags(innerhtml)
                if "id" not in el.attrib:
                    el.attrib["id"] = toc.unique(self.slugify(html.unescape(name), self.sep), used_ids, id_counters)
                data_toc_label = ""
                if "data-toc-label" in el.attrib:
                    data_toc_label = toc.run_postprocessors(toc.unescape(el.attrib["data-toc-label"]), self.md)
                    name = toc.escape_cdata(toc.strip_tags(data_toc_label))
                    del el.attrib["data-toc-label"]
                if self.toc_top <= int(el.tag[-1]) <= self.toc_bottom:
                    toc_tokens.append({"level": int(el.tag[-1]), "id": toc.unescape(el.attrib["id"]), "name": name,
                                       "html": innerhtml, "data-toc-label": data_toc_label})
                if self.use_anchors:
                    self.add_anchor(el, el.attrib["id"])
                if self.use_permalinks not in [False, None]:
                    self.add_permalink(el, el.attrib["id"])
        toc_tokens = toc.nest_toc_tokens(toc_tokens)
        div = self.build_toc_div(toc_tokens)
        if self.marker:
            self.replace_marker(doc, div)
        text = self.md.serializer(div)
        for pp in self.md.postprocessors:
            text = pp.run(text)
        self.md.toc_tokens = toc_tokens
        self.md.toc = text

    def build_toc_div(self, toc_list):  # noqa: N802 (Python-Markdown API)
        if self.marker and self.marker in getattr(self.md, "kb_source", self.marker):
            return super().build_toc_div(toc_list)
        return etree.Element("div")

    def replace_marker(self, root, elem):  # noqa: N802 (Python-Markdown API)
        if self.marker in getattr(self.md, "kb_source", self.marker):
            super().replace_marker(root, elem)


_TOC_IS_STOCK = is_stock(TocTreeprocessor.run, "75af906d7e4cef01")
_NOT_PLAIN = re.compile("[&<>\x02\x03]")  # what serializing or a postprocessor would change in heading text


def _heading_html(el: etree.Element, md: markdown.Markdown) -> str:
    """toc.render_inner_html(toc.remove_fnrefs(el), md), without the work for a heading of plain text:
    no child elements, nothing to escape, no placeholder (all of Python-Markdown's hold \x02 and \x03)."""
    text = el.text
    if not len(el) and isinstance(text, str) and not _NOT_PLAIN.search(text):
        return text.strip()
    return toc.render_inner_html(toc.remove_fnrefs(el), md)


class FastTocExtension(TocExtension):
    """The toc extension with FastTocTreeprocessor."""

    TreeProcessorClass = FastTocTreeprocessor
