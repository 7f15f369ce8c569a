"""Obsidian syntax for Python-Markdown: %%comments%%, ==highlight==, callouts, ^block ids, inline #tags, embeds,
`# headings` only with a space after the hashes.

Like links, whatever depends on other pages is written as a placeholder and filled after
resolution (markdown.fill_links / fill_embeds): inline tags as `kbref:t:` links, `![[embeds]]`
as `<a class="kbembed" href="kbref:e:...">`, Markdown images as `src="kbref:a:..."`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from urllib.parse import quote, unquote

from markdown.blockprocessors import BlockQuoteProcessor, HashHeaderProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import SimpleTagInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from generator.parse.links import has_extension, is_local_file_href, markdown_target
from generator.parse.text import INLINE_TAG, drop_comments

_CALLOUT = re.compile(r"^\[!([\w-]+)\]([+-]?)[ \t]*(.*)$")
_BLOCK_ID = re.compile(r"(?:^|\s)\^([A-Za-z0-9-]+)\s*$")
_BLOCK_TAGS = ("p", "li")
_NO_TAGS_IN = frozenset({"code", "pre", "a", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style"})


def block_anchor(block_id: str) -> str:
    """The element id of an Obsidian block id (`^abc` in text, `[[Note#^abc]]` in links)."""
    return "^" + block_id.lstrip("^")


class _CommentPreprocessor(Preprocessor):
    """`%%comments%%` are dropped before anything else sees the text."""

    def run(self, lines):
        return drop_comments("\n".join(lines)).split("\n")


class _BlockQuoteProcessor(BlockQuoteProcessor):
    """Blockquotes apart from each other by a blank line stay apart (CommonMark, as Obsidian): callouts in a row."""

    def lastChild(self, parent):  # noqa: N802 (Python-Markdown API); run() uses it only to continue a quote
        return None


class _CalloutTreeprocessor(Treeprocessor):
    """`> [!note] Title` blockquotes -> callout boxes; `[!tip]-` / `[!tip]+` fold (closed / open) as <details>."""

    def run(self, root):
        for quote_el in [el for el in root.iter("blockquote")]:
            first = quote_el[0] if len(quote_el) else None
            if first is None or first.tag != "p" or not first.text:
                continue
            head, _, rest = first.text.partition("\n")
            match = _CALLOUT.match(head.lstrip())
            if not match:
                continue
            kind, fold, title = match.group(1).casefold(), match.group(2), match.group(3).lstrip()
            quote_el.tag = "details" if fold else "div"
            quote_el.set("class", f"callout callout-{kind}")
            quote_el.set("data-callout", kind)
            if fold == "+":
                quote_el.set("open", "open")
            title_el = etree.Element("summary" if fold else "div", {"class": "callout-title"})
            if "\n" in first.text or not len(first):
                title_el.text = title.strip() or kind.capitalize()
                first.text = rest
            else:  # the title line holds inline markup: move it, up to the first line break
                title_el.text = title
                first.text = ""
                for child in list(first):
                    first.remove(child)
                    title_el.append(child)
                    if child.tail and "\n" in child.tail:
                        child.tail, _, first.text = child.tail.partition("\n")
                        break
            body = etree.Element("div", {"class": "callout-content"})
            for child in list(quote_el):
                quote_el.remove(child)
                if not (child is first and not first.text.strip() and not len(first)):
                    body.append(child)
            quote_el.append(title_el)
            if len(body):
                quote_el.append(body)


class _BlockIdTreeprocessor(Treeprocessor):
    """A block ending in ` ^id` gets `id="^id"`; a paragraph of only `^id` names the block before it."""

    def run(self, root):
        if "^" not in getattr(self.md, "kb_source", "^"):
            return  # no block id anywhere (tree text only comes from the source)
        for parent in [el for el in root.iter()]:
            previous = None
            for child in list(parent):
                if child.tag == "p" and not len(child) and previous is not None:
                    match = _BLOCK_ID.fullmatch((child.text or "").strip())
                    if match and (child.text or "").strip().startswith("^"):
                        previous.set("id", block_anchor(match.group(1)))
                        parent.remove(child)
                        continue
                if child.tag in _BLOCK_TAGS:
                    self._trailing_id(child)
                previous = child

    @staticmethod
    def _trailing_id(el: etree.Element) -> None:
        last = el[-1] if len(el) else None
        text = (last.tail if last is not None else el.text) or ""
        match = _BLOCK_ID.search(text)
        if not match or (last is None and not text[: match.start()].strip() and el.tag == "p"):
            return
        rest = text[: match.start()].rstrip()
        if last is not None:
            last.tail = rest
        else:
            el.text = rest
        el.set("id", block_anchor(match.group(1)))


class _InlineTagTreeprocessor(Treeprocessor):
    """`#tag` in running text -> a tag link placeholder (not in code, links or headings)."""

    def run(self, root):
        self._walk(root)

    def _walk(self, el: etree.Element) -> None:
        if el.tag in _NO_TAGS_IN:
            return
        if el.text and "#" in el.text and not isinstance(el.text, AtomicString):
            el.text, made = self._split(el.text)
            for i, node in enumerate(made):
                el.insert(i, node)
        for child in list(el):
            self._walk(child)
            if child.tail and "#" in child.tail and not isinstance(child.tail, AtomicString):
                child.tail, made = self._split(child.tail)
                at = list(el).index(child) + 1
                for i, node in enumerate(made):
                    el.insert(at + i, node)

    @staticmethod
    def _split(text: str) -> tuple[str, list[etree.Element]]:
        """Text before the first tag, and the tag links (each carrying the text after it as its tail)."""
        made: list[etree.Element] = []
        head, pos = None, 0
        for match in INLINE_TAG.finditer(text):
            tag = match.group(1).rstrip("/")
            chunk = text[pos:match.start()]
            if head is None:
                head = chunk
            else:
                made[-1].tail = chunk
            link = etree.Element("a", {"class": "wikilink", "href": f"kbref:t:{quote(tag, safe='')}#"})
            link.text = AtomicString("#" + tag)
            made.append(link)
            pos = match.start() + 1 + len(tag)
        if head is None:
            return text, []
        made[-1].tail = text[pos:]
        return head, made


class _EmbedTreeprocessor(Treeprocessor):
    """A paragraph holding only note embeds becomes a block; a note embed inside running text is a plain link.
    Markdown images of local files get a placeholder src (`kbref:a:`), filled with the copied file's URL."""

    def run(self, root):
        if "![" not in getattr(self.md, "kb_source", "!["):
            return  # no embed and no image
        for parent in [el for el in root.iter()]:
            for child in parent:
                if child.tag == "a" and child.get("class") == "kbembed" and not self._alone(parent):
                    target = child.get("href", "")[len("kbref:e:"):].split("#", 1)[0]
                    if not has_extension(unquote(target)):
                        child.set("class", "wikilink")
                        child.set("href", "kbref:w:" + child.get("href", "")[len("kbref:e:"):])
                        child.attrib.pop("data-size", None)
                elif child.tag == "img" and is_local_file_href(child.get("src", "")):
                    path, _ = markdown_target(child.get("src", ""))
                    child.set("src", f"kbref:a:{quote(path, safe='')}")
            if parent.tag == "p" and self._alone(parent) and any(
                    not has_extension(unquote(c.get("href", "")[len("kbref:e:"):].split("#", 1)[0])) for c in parent):
                parent.tag = "div"
                parent.set("class", "embed-block")

    @staticmethod
    def _alone(parent: etree.Element) -> bool:
        """Only embeds (and blank text) in this element."""
        if parent.tag not in ("p", "div") or not len(parent) or (parent.text or "").strip():
            return False
        return all(c.tag == "a" and c.get("class") == "kbembed" and not (c.tail or "").strip() for c in parent)


class _HashHeaderProcessor(HashHeaderProcessor):
    """`# Heading` with a space (or nothing) after the hashes, as Obsidian and CommonMark read it; Python-Markdown
    alone also takes `#word` for one, and so turns a page's closing line of `#tag #tag` into a heading."""

    RE = re.compile(r"(?:^|\n)(?P<level>#{1,6})(?=[ \t\n]|$)(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)")


class ObsidianExtension(Extension):
    """Obsidian Flavored Markdown on top of our wiki links."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown API)
        md.preprocessors.register(_CommentPreprocessor(md), "kb_comments", 35)  # first: comments may hide any syntax
        md.parser.blockprocessors.register(_BlockQuoteProcessor(md.parser), "quote", 20)
        md.parser.blockprocessors.register(_HashHeaderProcessor(md.parser), "hashheader", 70)
        md.inlinePatterns.register(SimpleTagInlineProcessor(r"(==)(?=\S)(.+?)(?<=\S)==", "mark"), "kb_highlight", 65)
        md.treeprocessors.register(_CalloutTreeprocessor(md), "kb_callouts", 15)
        md.treeprocessors.register(_BlockIdTreeprocessor(md), "kb_block_ids", 14)
        md.treeprocessors.register(_EmbedTreeprocessor(md), "kb_embeds", 13)
        md.treeprocessors.register(_InlineTagTreeprocessor(md), "kb_tags", 12)
