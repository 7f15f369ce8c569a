"""Plain text from Markdown source, and the one rule for cutting summaries. Pure."""

from __future__ import annotations

import html
import re

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_EMBED = re.compile(r"!\[\[[^\]]*\]\]")
_WIKI = re.compile(r"\[\[([^\]|#]*)(?:#[^\]|]*)?(?:\\?\|([^\]]*))?\]\]")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_CODE = re.compile(r"`+([^`]*)`+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|==)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_MARK = re.compile(r"[*_~=]")
_TAG = re.compile(r"<[^>\n]+>")
_COMMENT = re.compile(r"%%.*?%%", re.S)
_SPACE = re.compile(r"\s+")


def plain_text(markdown_text: str) -> str:
    """Inline Markdown as reading text: links become their labels, markup and HTML tags go."""
    # Each pattern only where its trigger text is (the result is the same; most text has no markup)
    text = _COMMENT.sub("", markdown_text) if "%%" in markdown_text else markdown_text
    if "[" in text:
        if "!" in text:
            text = _EMBED.sub("", text)
            text = _IMAGE.sub(r"\1", text)
        text = _WIKI.sub(lambda m: (m.group(2) or m.group(1)).strip(), text)
        text = _MD_LINK.sub(r"\1", text)
        text = _REF_LINK.sub(r"\1", text)
    if "`" in text:
        text = _CODE.sub(r"\1", text)
    if _EMPHASIS_MARK.search(text):
        for _ in range(2):  # nested emphasis: ***x***
            text = _EMPHASIS.sub(r"\2", text)
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters; when cut, the text ends in "…" (within the limit)."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


WORD_REACH = 20  # how far a cut looks for a space to end at; none that near (CJK text): it cuts between characters


def cut_around(text: str, start: int, end: int, limit: int) -> tuple[str, int, int]:
    """At most about `limit` characters of `text` around its span [start, end), and the span's place in them.

    The rule for a link's context: cut at spaces (within WORD_REACH characters, else between characters),
    "…" at each cut end; the room left is shared before and after the span, what one side does not use going
    to the other. A span longer than the limit is itself truncated."""
    if len(text) <= limit:
        return text, start, end
    if end - start > limit - 2:
        shown = truncate(text[start:end], limit)
        return shown, 0, len(shown)
    room = limit - (end - start) - 2  # the two ellipses
    before = min(start, room // 2)
    after = min(len(text) - end, room - before)
    before = min(start, room - after)
    lo, hi = start - before, end + after
    if lo > 0 and not text[lo - 1].isspace():  # inside a word: on to the next one
        space = text.find(" ", lo, start)
        lo = space + 1 if 0 <= space - lo < WORD_REACH else lo
    if hi < len(text) and not text[hi].isspace():
        space = text.rfind(" ", end, hi)
        hi = space if space >= 0 and hi - space < WORD_REACH else hi
    head = "…" if lo > 0 else ""
    shown = head + text[lo:hi].strip() + ("…" if hi < len(text) else "")
    offset = len(head) - lo - (len(text[lo:hi]) - len(text[lo:hi].lstrip()))
    return shown, start + offset, end + offset


_BLOCK_START = re.compile(r"^\s{0,3}(#{1,6}\s|#{1,6}$|[-*+]\s|\d+[.)]\s|>|\||```|~~~|<|---+\s*$|\*\*\*+\s*$|!\[\[|\$\$)")


def first_paragraph(body: str) -> str:
    """The plain text of the first paragraph of a Markdown body (skipping headings, lists, code, tables)."""
    block: list[str] = []
    in_fence = ""
    for line in body.splitlines():
        stripped = line.strip()
        if in_fence:
            if stripped.startswith(in_fence):
                in_fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            if block:
                break
            in_fence = stripped[:3]
            continue
        if not stripped:
            if block:
                break
            continue
        if not block and (_BLOCK_START.match(line) or line.startswith(("    ", "\t"))):
            continue
        if block and _BLOCK_START.match(line):
            break
        block.append(stripped)
    return plain_text(" ".join(block))


_COMMENT_TOKENS = re.compile(r"(`+)(?:.+?)\1|%%|`+|[^`%]+|%")  # code spans keep their %%
_FENCE_LINE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def drop_comments(markdown_text: str) -> str:
    """Obsidian `%%comments%%` (inline or over several lines) removed; code is kept; line breaks are kept."""
    if "%%" not in markdown_text:
        return markdown_text
    out: list[str] = []
    fence = ""
    in_comment = False
    for line in markdown_text.split("\n"):
        if not in_comment:
            opened = _FENCE_LINE.match(line)
            if fence:
                if line.strip().startswith(fence):
                    fence = ""
                out.append(line)
                continue
            if opened:
                fence = opened.group(1)
                out.append(line)
                continue
        kept = []
        for token in (m.group(0) for m in _COMMENT_TOKENS.finditer(line)):
            if token == "%%":
                in_comment = not in_comment
            elif not in_comment:
                kept.append(token)
        out.append("".join(kept))
    return "\n".join(out)


# Obsidian's inline tag: '#' after a space, start or opening bracket; letters, digits, '_', '-', '/'; not only
# digits. Unlike Obsidian, a colour (#1a1a2e, #0f0: hex digits, 3, 6 or 8 of them, one a digit) is not a tag.
INLINE_TAG = re.compile(r"(?<![^\s(\[{,;])#(?!(?=[0-9a-fA-F]*[0-9])(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})(?![\w/-]))"
                        r"([\w/-]*[^\W\d][\w/-]*)")
