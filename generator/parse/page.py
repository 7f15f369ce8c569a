"""parse_source(): one source file's bytes -> ParsedPage (fields, rendered body, link refs, search fields). Pure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from generator import diagnostics as diag
from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.parse.content import Page, decode_source, parse_page
from generator.parse.context import link_contexts, pack_contexts
from generator.parse.links import LinkRef, agree_with_rendering, extract_links, front_matter_links
from generator.parse.limits import PageTooSlow, as_text_html, time_limit, too_costly
from generator.parse.markdown import RenderedBody, make_markdown, packed_html, render_body
from generator.parse.sanitize import Removal, sanitize
from generator.parse.sources import SourceFile, source_digest
from generator.parse.text import truncate
from generator.records import compact_pickle

BODY_CHARS = 800  # searchable reading text per page; enough for the opening sections, keeps 10k pages in a few MB
SECTION_CHARS = 280  # the preview's first-section text
SUMMARY_CHARS = 300  # a page shown as text keeps at most this much of its summary


@compact_pickle
@dataclass(frozen=True, slots=True)
class ParsedPage:
    """A page as parsed from its file alone: fields, rendered body (links as placeholders), link refs."""

    page: Page
    body: RenderedBody
    refs: tuple[LinkRef, ...]
    digest: str = ""  # hash of the file's bytes: what the page's own HTML depends on
    # What the search shards hold of the body: first section heading, its text, the reading text, cut to size
    # (search_text), as UTF-8: a cut text ends in "…", which would make a Python string two bytes a character
    # (the driver holds these for every page until it is rendered). body.text itself is not kept.
    search: tuple[bytes, bytes, bytes] = (b"", b"", b"")
    # Where the page links to each target: the first link's sentence (parse/context.py), shown with the
    # targets' backlinks; one per target name, not per link, packed (context.unpack_contexts() reads them)
    contexts: bytes = b""


def parse_source(source: SourceFile, config: Config, md=None) -> tuple[ParsedPage | None, list[Diagnostic]]:
    """One file's bytes -> ParsedPage (fields, rendered body, link refs). Depends on nothing else.

    Never raises for what a page holds: a page past a bound (parse/limits.py) or whose parsing fails is
    shown as text, with a diagnostic naming the file."""
    try:
        text, problems = decode_source(source.src_path, source.raw)
        if text is None:
            return None, problems
        costly = too_costly(len(source.raw), text)
        if costly is not None:
            code, message, line = costly
            return as_text(source, config, text, message), problems + [
                diag.warning(source.src_path, code, message, line, hint="Split the page, or flatten its lists and quotes.")]
        with time_limit():
            return _parse(source, config, text, problems, md)
    except RecursionError:
        reason = "page could not be rendered: it nests too deeply for the Markdown parser"
    except PageTooSlow as exc:
        reason = f"page could not be rendered: {exc}"
    except Exception as exc:  # noqa: BLE001 - one page must never stop the build; the error is reported, not hidden
        reason = f"page could not be rendered: {type(exc).__name__}: {exc}"
    text = source.raw.decode("utf-8", "replace")
    return as_text(source, config, text, reason), [diag.error(source.src_path, "page-failed", reason,
                                                              hint="Please report it with the page: it is a bug in kbwiki or Python-Markdown.")]


def as_text(source: SourceFile, config: Config, text: str, reason: str) -> ParsedPage:
    """The page with its front matter's fields (or the defaults), its body the source text under a notice."""
    try:
        page, _ = parse_page(source.src_path, text, config)
    except Exception:  # noqa: BLE001 - the front matter is what failed: the page keeps its path's defaults
        page, _ = parse_page(source.src_path, "", config)
    page = dataclasses.replace(page, body="", summary=truncate(page.summary, SUMMARY_CHARS))
    body = RenderedBody(**packed_html(as_text_html(text, reason)), headings=(), text="")
    return ParsedPage(page, body, (), source_digest(source), (b"", b"", truncate(" ".join(text.split()), BODY_CHARS).encode("utf-8")))


def _parse(source: SourceFile, config: Config, text: str, problems: list[Diagnostic],
           md=None) -> tuple[ParsedPage, list[Diagnostic]]:
    """parse_source() for a page within the bounds, from its decoded text (and the decoding's problems)."""
    page, page_problems = parse_page(source.src_path, text, config)
    front_text = first_lines(text, page.body_line - 1)  # the front matter, as parse_page found it
    removed: tuple[Removal, ...] = ()

    def clean(html: str) -> str:  # the page's own HTML, before any placeholder is filled
        nonlocal removed
        cleaned = sanitize(html)
        removed = cleaned.removed
        return cleaned.html
    body = render_body(md or make_markdown(), page.body, clean if config.sanitize else None)
    # The body's #tags are the ones the renderer made links of (one rule: a tag page for every tag link)
    inline = [target for syntax, target, _ in body.placeholders if syntax == "t"]
    if inline:
        page = dataclasses.replace(page, tags=tuple(dict.fromkeys((*page.tags, *inline))))
    scanned = extract_links(page.body, page.body_line, page.src_path)
    refs = front_matter_links(page, front_text) + agree_with_rendering(scanned, body.placeholders, page.folder)
    contexts = pack_contexts(link_contexts(page, refs, front_text, config.link_keys + config.source_keys))
    digest = source_digest(source)
    search = search_text(body)
    # what search needs of the text is in `search`; the placeholders' targets are the refs' own strings (one
    # object each in the pickle, and in every process that loads it: ~1 KB a page of the driver's memory)
    body = dataclasses.replace(body, text="", placeholders=shared_targets(body.placeholders, refs))
    problems += (page_problems + unsafe_url_problems(page, body.blocked) + math_problems(page, body.bad_math)
                 + unsafe_html_problems(page, removed))
    # The Markdown is not kept: lint reads the lines it needs from the file's bytes (content.body_lines())
    return ParsedPage(dataclasses.replace(page, body=""), body, refs, digest, search, contexts), problems


def shared_targets(placeholders: tuple[tuple[str, str, str], ...], refs: tuple[LinkRef, ...]) -> tuple[tuple[str, str, str], ...]:
    """The placeholders, each target that equals a ref's target replaced by that ref's string object."""
    names = {ref.target: ref.target for ref in refs}
    return tuple((syntax, names.get(target, target), fragment) for syntax, target, fragment in placeholders)


def first_lines(text: str, count: int) -> str:
    """The first `count` lines of `text` (none for count <= 0): "\n".join(text.split("\n")[:count]), without
    splitting the rest."""
    end = -1
    for _ in range(max(count, 0)):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end] if count > 0 else ""


def unsafe_url_problems(page: Page, blocked: tuple[str, ...]) -> list[Diagnostic]:
    """A warning per script-running URL removed from a page's links and images (with its line when found)."""
    if not blocked:
        return []
    lines = page.body.split("\n")
    problems = []
    for url in blocked:
        line = next((page.body_line + i for i, text in enumerate(lines) if url in text), 0)
        shown = " ".join(url.split())[:60]
        problems.append(diag.warning(page.src_path, "unsafe-url", f"link to '{shown}' removed: javascript:, vbscript: and data: URLs can run script",
                                     line, hint="Link to an http(s) address or another page."))
    return problems


def math_problems(page: Page, bad: tuple[tuple[str, str], ...]) -> list[Diagnostic]:
    """A warning per formula KaTeX cannot read (the page shows its source), with the line its TeX starts on."""
    if not bad:
        return []
    lines = page.body.split("\n")
    problems = []
    for tex, problem in bad:
        first = next((line for line in tex.split("\n") if line.strip()), tex).strip()
        found = next((i for i, text in enumerate(lines) if first in text), None)
        shown = " ".join(tex.split())
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        problems.append(diag.warning(page.src_path, "bad-math", f"formula '{shown}' cannot be drawn: {problem}",
                                     0 if found is None else page.body_line + found,
                                     hint="The page shows the formula's source instead."))
    return sorted(problems, key=diag.sort_key)


def unsafe_html_problems(page: Page, removed: tuple[Removal, ...]) -> list[Diagnostic]:
    """A warning per kind of raw HTML the sanitizer took out of a page, at the first line holding it."""
    if not removed:
        return []
    lines = page.body.casefold().split("\n")
    problems = []
    for removal in removed:
        line = next((page.body_line + i for needle in removal.needles if needle.strip()
                     for i, text in enumerate(lines) if needle.casefold() in text), 0)
        problems.append(diag.warning(page.src_path, "unsafe-html", removal.message, line, hint=removal.hint))
    return problems


def first_section(body: RenderedBody) -> tuple[str, str]:
    """The first section of a body: its heading (or "") and the text under it, up to the next heading."""
    text = body.text
    headings = [h for h in body.headings if h.text]
    if not headings:
        return "", text
    first = text.find(headings[0].text)
    if first > 0 and text[:first].strip():  # text before the first heading: the lead section
        return "", text[:first].strip()
    start = first + len(headings[0].text) if first >= 0 else 0
    end = text.find(headings[1].text, start) if len(headings) > 1 else -1
    return headings[0].text, text[start:end if end >= 0 else len(text)].strip()


def search_text(body: RenderedBody) -> tuple[bytes, bytes, bytes]:
    """What the index holds of a body: its first section's heading and text, and its reading text, cut to
    size, as UTF-8. Taken when the page is parsed, so the whole reading text need not be kept."""
    heading, section = first_section(body)
    return heading.encode("utf-8"), truncate(section, SECTION_CHARS).encode("utf-8"), truncate(body.text, BODY_CHARS).encode("utf-8")
