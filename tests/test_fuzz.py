"""Property tests (Hypothesis) over front matter, link syntax, slugs and whole generated vaults.

The default run is short (CI). The long run, 10,000 examples per property, is marked slow:

    python -m pytest -m slow tests/test_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nh3
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.parse.content import parse_page, split_front_matter
from generator.parse.links import extract_links
from generator.parse.markdown import LinkTarget, fill_links, make_markdown, render_body, url_is_unsafe
from generator.paths import SourcePath, slugify
from generator.build.pipeline import build_site
from generator.parse.page import parse_source
from generator.parse.sanitize import TAGS, css_is_unsafe, sanitize, tag_names
from generator.parse.sources import SourceFile

# The short run (every test run, CI included) is derandomized: the same examples each time, so the suite
# never turns red by chance; the long run (-m slow) explores fresh examples.
SHORT = settings(max_examples=50, deadline=None, database=None, report_multiple_bugs=False, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
LONG = settings(SHORT, max_examples=10_000, derandomize=False, suppress_health_check=list(HealthCheck))

# Characters that mean something somewhere: YAML, Markdown, wiki links, HTML, URLs.
SYNTAX = "[]()|#!\\^`*_~:-<>\"'&/.=%{}\n\t "
WORDS = st.sampled_from(["Alpha", "beta", "Ça", "日本", "x-evil", "a b", "index", "404", "assets", "..", "---", "…"])
INLINE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(SYNTAX), max_size=60)
MARKER = "<x-evil"  # in every hostile field; it must never reach any output as markup


def hostile_text(min_size: int = 0) -> st.SearchStrategy[str]:
    """Names with the marker, syntax and any Unicode mixed in."""
    return st.lists(st.one_of(WORDS, st.just(MARKER + ' a="b">'), st.just('"onmouseover="x'), INLINE),
                    min_size=max(min_size, 1), max_size=4).map(" ".join)


# --- front matter ---------------------------------------------------------------------------

YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
                         st.dates(min_value=dt.date(1, 1, 1)), hostile_text())
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
KEYS = st.sampled_from(["title", "summary", "description", "type", "kind", "tags", "tag", "aliases", "alias", "id",
                        "links", "related", "sources", "created", "updated", "date", "slug", "permalink"]) | st.text(max_size=12)


def check_front_matter_mapping(mapping: dict) -> None:
    text = "---\n" + yaml.safe_dump(mapping, allow_unicode=True) + "---\nBody [[Link]].\n"
    page, problems = parse_page(SourcePath("folder/page.md"), text, Config())
    assert isinstance(page.title, str) and page.title
    assert all(isinstance(t, str) and t for t in page.tags + page.aliases + page.sources + page.links)
    assert all(p.src_path == "folder/page.md" for p in problems)
    item, _ = parse_source(SourceFile(SourcePath("folder/page.md"), text.encode()), Config())
    assert item is not None


def check_front_matter_text(yamlish: str, body: str) -> None:
    text = f"---\n{yamlish}\n---\n{body}"
    front, problems = split_front_matter("p.md", text)
    assert isinstance(front.data, dict)
    assert all(p.line >= 0 and p.src_path == "p.md" for p in problems)
    page, _ = parse_page(SourcePath("p.md"), text, Config())
    assert page.title


def check_raw_bytes(raw: bytes) -> None:
    item, problems = parse_source(SourceFile(SourcePath("p.md"), raw), Config())
    assert item is not None or problems


YAMLISH = st.text(alphabet=st.sampled_from("abc: -[]{}\"'#&*!|>%@`,?\n\t0129.~\\") | st.characters(codec="utf-8"), max_size=80)


@SHORT
@given(st.dictionaries(KEYS, YAML_VALUES, max_size=8))
def test_front_matter_mappings_never_raise(mapping):
    check_front_matter_mapping(mapping)


@SHORT
@given(YAMLISH, INLINE)
def test_front_matter_text_never_raises(yamlish, body):
    check_front_matter_text(yamlish, body)


@SHORT
@given(st.binary(max_size=200))
def test_any_bytes_are_a_page_or_a_diagnostic(raw):
    check_raw_bytes(raw)


# Nesting made of the openers Python-Markdown recurses on: quotes, list markers and indentation, repeated.
OPENERS = st.lists(st.sampled_from(["> ", "- ", "1. ", "    ", "\t", "* ", ">", "+ "]), min_size=1, max_size=6)


def check_hostile_nesting(openers: list[str], repeat: int, lines: int) -> None:
    """Any nesting, however deep, gives a page (rendered, or shown as text with a diagnostic), never an exception."""
    text = "\n".join("".join(openers) * min(repeat, 1 + i * repeat // max(lines, 1)) + f"line {i}" for i in range(lines))
    item, problems = parse_source(SourceFile(SourcePath("p.md"), text.encode()), Config())
    assert item is not None
    if "shown as its source text" in item.body.html:
        assert [p for p in problems if p.code in ("page-too-deep", "page-failed")]


@SHORT
@given(OPENERS, st.integers(1, 400), st.integers(1, 4))
def test_hostile_nesting_never_raises(openers, repeat, lines):
    check_hostile_nesting(openers, repeat, lines)


# --- link syntax ----------------------------------------------------------------------------

LINKISH = st.lists(st.one_of(
    st.text(alphabet=st.sampled_from("[]()|#!\\^ aZ.:/`\n"), max_size=20),
    st.builds(lambda t: f"[[{t}]]", INLINE),
    st.builds(lambda t, h, l: f"[[{t}#{h}|{l}]]", INLINE, INLINE, INLINE),
    st.builds(lambda l, u: f"[{l}]({u})", INLINE, INLINE),
    st.builds(lambda l, u: f"[{l}]({u}.md)", INLINE, INLINE),
    st.builds(lambda s, u: f"[x]({s}:{u})", st.sampled_from(["javascript", "JAVASCRIPT", "vbscript", "data", "java\tscript", "&#106;avascript"]), INLINE),
), max_size=8).map("".join)


def check_links(text: str) -> None:
    refs = extract_links(text, 1, "a/b.md")
    assert all(r.line >= 1 for r in refs)
    body = render_body(make_markdown(), text)
    html = sanitize(body.html).html  # as the build does: raw HTML Markdown took from the text is checked too
    filled = fill_links(html, lambda s, t, f: LinkTarget("x.html", missing=bool(t) and t[0] < "m", title=t))
    assert 'href="kbref:' not in filled  # every placeholder was filled
    doc = parse_html(filled)
    for tag, attr, url in doc.urls:
        assert not url_is_unsafe(url, image=tag == "img" and attr == "src"), (tag, attr, url)
    assert not [m for m in doc.markup if m.startswith("on")]


@SHORT
@given(LINKISH)
def test_link_syntax_never_raises_and_leaves_no_placeholder_or_script_url(text):
    check_links(text)


# --- raw HTML soup -------------------------------------------------------------------------

SOUP = st.lists(st.sampled_from([
    "<", ">", "/", "=", '"', "'", " ", "\n", "a", "p", "b", "div", "script", "style", "iframe", "img", "svg", "math",
    "onclick", "onerror=", "src=", "href=", "sandbox", "javascript:", "&#106;", "data:", "<!--", "-->", "<![CDATA[",
    "]]>", "</", "<p>", "</p>", "<b>", "</b>", "</div>", "<a href=", "title", "x", "&", ";", "expression(", "@import",
    "\x00", "\u212a", "body", "template", "noscript", "textarea", "<table>", "<td>"]), max_size=40).map("".join)


def check_sanitized(soup: str) -> None:
    cleaned = sanitize(soup)
    assert tag_names(cleaned.html) <= TAGS
    again = sanitize(cleaned.html)  # what it writes passes as it is: nothing to take, nothing left open
    assert again.html == cleaned.html and again.removed == ()


@SHORT
@given(SOUP)
def test_sanitized_html_passes_the_sanitizer_as_it_is(soup):
    check_sanitized(soup)


# --- slugs ----------------------------------------------------------------------------------


def check_slug(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug
    assert re.fullmatch(r"[\w-]*", slug)
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug


@SHORT
@given(st.text())
def test_slugify_is_idempotent_and_clean(text):
    check_slug(text)


# --- whole vaults ---------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Structure(HTMLParser):
    """Start and end tags must nest; collects links and ids."""

    CDATA_CONTENT_ELEMENTS = ("script", "style", "iframe", "xmp", "noembed", "noframes", "textarea", "title")  # as browsers

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, class)
        self.ids: set[str] = set()
        self.markup: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, URL) of every href, src and cite
        self.unsafe: list[tuple[str, dict]] = []  # elements that could run script, whatever their text

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "a" and attrs.get("href") is not None:
            self.links.append((attrs["href"], attrs.get("class") or ""))
        self.urls.extend((tag, name, attrs[name]) for name in ("href", "src", "cite") if attrs.get(name) is not None)
        if ((tag == "script" and not (attrs.get("src") or "").endswith(".js")) or "srcdoc" in attrs
                or tag in ("svg", "math", "object", "embed", "form", "base", "noscript", "template")
                or (tag == "iframe" and (attrs.get("sandbox") is None or attrs.get("referrerpolicy") != "no-referrer"))
                or css_is_unsafe(attrs.get("style") or "")):
            self.unsafe.append((tag, attrs))
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        self.markup.append(tag)
        self.markup.extend(name for name in attrs if name.startswith("on"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag):]
        else:
            self.stack.pop()


def parse_html(text: str) -> Structure:
    parser = Structure()
    parser.feed(text)
    parser.close()
    if parser.stack:
        parser.errors.append(f"unclosed: {parser.stack}")
    return parser


BODY_START = '<div class="page-body">'
BODY_END = re.compile(r'\n  </div>\n(?=  <section id="sources"|  <p class="dates">|</article>)')  # page.html


def as_browsers_read(html: str) -> str:
    """`html` as an HTML5 parser builds it (html5ever, through nh3, keeping every tag and attribute), written back."""
    return nh3.Cleaner(tags=tag_names(html) | TAGS, clean_content_tags=set(), attributes={}, generic_attribute_prefixes={""},
                       url_schemes={"http", "https", "mailto", "kbref", "javascript", "data"}, link_rel=None,
                       strip_comments=False).clean(html)


def split_body(text: str) -> tuple[str, str, str]:
    """A content page as (before the body, the body, after it); a page without one is all before."""
    if BODY_START not in text:
        return text, "", ""
    head, rest = text.split(BODY_START, 1)
    end = BODY_END.search(rest).start()
    return head + BODY_START, rest[:end], rest[end:]


def body_read_alone(text: str) -> str:
    """A content page with its body (the author's raw HTML, kept as written) as the parser reads the body alone:
    the same as the whole page read, when the body closes what it opens."""
    head, body, tail = split_body(text)
    alone = head + as_browsers_read(body) + tail if body else text
    # (A <p> the body leaves open may take the page's next line break before the page closes it: no matter.)
    assert _between_tags(as_browsers_read(text)) == _between_tags(as_browsers_read(alone)), "the body runs into the page"
    return alone


def _between_tags(html: str) -> str:
    return re.sub(r"\s*(<[^>]*>)\s*", r"\1", html)


RAW_TAGS = st.sampled_from(["b", "span", "div", "a", "img", "iframe", "details", "style", "table", "script", "SCRIPT",
                            "svg", "x-evil", "object", "form", "base", "body", "noscript", "template", "math"])
RAW_ATTRIBUTES = st.sampled_from([
    "onclick=x", 'OnMouseOver="x"', "onerror = 'x'", 'href="javascript:x"', 'href="&#106;avascript:x"',
    'src="java&#x09;script:x"', 'href="data:text/html,x"', 'src="data:image/png;base64,AA"', 'style="color: red"',
    'style="background:url(javascript:x)"', 'style="width: exp\\72 ession(x)"', 'srcdoc="&lt;script&gt;x&lt;/script&gt;"',
    'id="content"', 'id="KBWIKI_SEARCH"', 'class="ok"', 'title="a &lt;b&gt; c"', 'href="https://example.com/"',
    'src="https://example.com/embed"', 'sandbox="allow-top-navigation"', "x-evil=1", '/onload="x"'])
RAW_TEXT = st.sampled_from(["word", "more words", "", "x()", "p { color: red }", "@import url(x.css);"])


def _element(tag: str, attrs: list[str], children: list[str]) -> str:
    inner = "".join(children)
    return f"<{tag} {' '.join(attrs)}>" if tag in ("img", "base") else f"<{tag} {' '.join(attrs)}>{inner}</{tag}>"


# Raw HTML that closes what it opens (it is kept as written where nothing in it is removed), and some that
# does not (rewritten); either way none of it may run.
RAW_HTML = st.recursive(RAW_TEXT, lambda inner: st.builds(_element, RAW_TAGS, st.lists(RAW_ATTRIBUTES, max_size=3),
                                                           st.lists(inner, max_size=3)), max_leaves=6)
MALFORMED = ["", "\n\n<x-evil onclick=x>raw</x-evil>\n", "<div><p>unclosed\n\n", "</div></span>", '<div>\n<a title="x\n</div>',
             "<!--><img src=x onerror=y>-->", "<scr<script>ipt>x()</script>", "<script/>x()</script>",
             '<p><img/src="x"/onerror="y"></p>', "<noscript><p title=\"</noscript><img src=x onerror=y>\"></noscript>"]


@st.composite
def vaults(draw) -> tuple[dict[str, str], bool]:
    """A few pages with random titles, tags, aliases, links and bodies; raw HTML, hostile or not, with sanitize on."""
    sanitize = draw(st.booleans())
    count = draw(st.integers(1, 5))
    paths = [f"{draw(st.sampled_from(['', 'notes/', 'people/', 'a b/']))}p{i}.md" for i in range(count)]
    titles = [draw(hostile_text(1)) for _ in paths]
    files = {}
    for i, path in enumerate(paths):
        meta = {"title": titles[i]}
        if draw(st.booleans()):
            meta["tags"] = draw(st.lists(hostile_text(1), max_size=3))
        if draw(st.booleans()):
            meta["aliases"] = draw(st.lists(hostile_text(1), max_size=2))
        if draw(st.booleans()):
            meta["summary"] = draw(hostile_text())
        if draw(st.booleans()):
            meta["sources"] = draw(st.lists(st.one_of(hostile_text(1), st.sampled_from(
                ["https://example.com/a b", "javascript:alert(1)", "[[p0]]", "p1.md", "data:text/html,x"])), max_size=3))
        other = draw(st.integers(0, count - 1))
        segments = draw(st.lists(st.one_of(
            hostile_text(),
            st.just(f"[[{titles[other]}]]"),
            st.builds(lambda h: f"[[{titles[other]}#{h}]]", hostile_text()),
            st.just(f"[see]({posixpath.relpath(paths[other], posixpath.dirname(path) or '.')})"),
            st.builds(lambda t: f"[[{t}]]", hostile_text(1)),
            st.builds(lambda h: f"\n\n## {h}\n\n", hostile_text(1)),
            st.just("\n\n| a | b |\n|---|--:|\n| [[p0]] | x |\n\n"),
            st.just("\n\nNote[^1].\n\n[^1]: A footnote.\n\n"),
            st.just("\n\n```\n<x-evil>[[p0]]\n```\n\n"),
            LINKISH,
        ), max_size=8))
        if sanitize:  # the default: raw HTML, hostile or not, among the text
            segments += draw(st.lists(RAW_HTML, max_size=3))
            segments.append(draw(st.sampled_from(MALFORMED)))
        body = " ".join(segments)
        if not sanitize:
            body = body.replace("<", "&lt;")  # raw HTML is the author's own, kept as written without sanitize
        files[path] = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body + "\n"
    return files, sanitize


def check_vault(files: dict[str, str], sanitize: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        for rel, text in files.items():
            (content / rel).parent.mkdir(parents=True, exist_ok=True)
            (content / rel).write_text(text, encoding="utf-8")
        config = Config(content_dir=content, out_dir=Path(tmp) / "site", sanitize=sanitize)
        site = build_site(config)
        again = build_site(config)
    outputs = {o.out_path: o.data for o in site.outputs}
    assert len(outputs) == len(site.outputs), "two outputs for one path"
    assert [(o.out_path, o.data) for o in again.outputs] == [(o.out_path, o.data) for o in site.outputs], "not deterministic"
    wanted = parse_html(outputs["special/wanted.html"].decode())
    for out_path, data in outputs.items():
        if not out_path.endswith(".html"):
            continue
        text = data.decode("utf-8")
        doc = parse_html(text)
        assert parse_html(body_read_alone(text)).errors == [], (out_path, parse_html(body_read_alone(text)).errors)
        assert "x-evil" not in doc.markup, out_path
        assert not [m for m in doc.markup if m.startswith("on")], out_path
        assert parse_html(split_body(text)[1]).unsafe == [], out_path  # the theme's own scripts and SVG aside
        for tag, attr, url in doc.urls:  # an image may be a data:image/ URL (the theme's icon is one)
            assert not url_is_unsafe(url, image=(tag, attr) in (("img", "src"), ("link", "href"))), (out_path, tag, url)
        for href, classes in doc.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # outside URLs and same-page anchors
            if "wikilink" not in classes.split() and not parts.path.endswith((".html", ".json")):
                continue  # a relative URL the author wrote to a file that is not a page (an image, a PDF)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(out_path), unquote(parts.path)))
            assert target in outputs, (out_path, href)
            if "missing" in classes.split():
                assert target == "special/wanted.html" and unquote(parts.fragment) in wanted.ids, (out_path, href)


@SHORT
@given(vaults())
def test_generated_vaults_build_parse_link_and_repeat(vault):
    check_vault(*vault)


# --- the long run: python -m pytest -m slow tests/test_fuzz.py -----------------------------

@pytest.mark.slow
@LONG
@given(vaults())
def test_long_generated_vaults(vault):
    check_vault(*vault)


@pytest.mark.slow
@LONG
@given(st.dictionaries(KEYS, YAML_VALUES, max_size=8), YAMLISH, INLINE, st.binary(max_size=200))
def test_long_front_matter(mapping, yamlish, body, raw):
    check_front_matter_mapping(mapping)
    check_front_matter_text(yamlish, body)
    check_raw_bytes(raw)


@pytest.mark.slow
@LONG
@given(OPENERS, st.integers(1, 2000), st.integers(1, 8))
def test_long_hostile_nesting(openers, repeat, lines):
    check_hostile_nesting(openers, repeat, lines)


@pytest.mark.slow
@LONG
@given(LINKISH, st.text(), SOUP)
def test_long_links_slugs_and_soup(text, name, soup):
    check_links(text)
    check_slug(name)
    check_sanitized(soup)


# --- what fuzzing found, kept as plain tests ------------------------------------------------


def test_a_wiki_link_holding_a_code_span_is_one_link_on_both_sides():
    """Markdown stashed the code span, so the link pointed at a Wanted anchor nobody wrote: the page's
    links are now the ones the renderer made, whatever the scanner read."""
    text = "a [[x `y` z]] and `[[in code]]` and [[ok]]"
    parsed, _ = parse_source(SourceFile("p.md", text.encode()), Config())
    assert sorted(r.target for r in parsed.refs) == sorted(t for _, t, _ in parsed.body.placeholders) == ["ok", "x y z"]


def test_tags_that_share_a_page_do_not_fail_the_build():
    check_vault({"a.md": "---\ntags: ['\"x }:', \"'x {\", AI, ai]\n---\nA\n"}, False)


def test_an_entity_disguised_script_url_inside_a_nested_link_is_removed():
    """Inside a nested link the entity is still stashed aside when our tree processor runs."""
    body = render_body(make_markdown(), "[[[0]][x](&#106;avascript:)\\[]()")
    assert "avascript" not in body.html and body.blocked == ("&#106;avascript:",)


@pytest.mark.parametrize("text", ["[a](x y.md)", '[a](x y.md "t")', "[a](x\x1fy.md)", "[a](<x y.md>)", "[a](f(1).md)",
                                  "[Ä](ò=~|ÿ'&é_ý\x1fq8¸..md)", "[a](x.md#h h)"])
def test_markdown_links_are_read_alike_by_extraction_and_rendering(text):
    """A destination with spaces or control characters was rendered as a link but not extracted, so its red
    link pointed at a Wanted entry that did not exist (and an existing page got no backlink)."""
    html = render_body(make_markdown(), text).html
    rendered = [tuple(unquote(x) for x in m) for m in re.findall(r'kbref:m:([^"#]*)#([^"]*)', html)]
    assert [(r.target, r.fragment) for r in extract_links(text)] == rendered


def test_a_hard_wrapped_markdown_link_makes_a_backlink(tmp_path):
    from tests.helpers import build, output
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("# A\n\nSee [the other\npage](b.md) here.\n")
    (content / "b.md").write_text("# B\n\nText.\n")
    assert "1 article links here" in output(build(content), "b.html")


@pytest.mark.parametrize("body", ["![#[[>#'&{D}`]][](>ë.md)", "[a](x y.md) [[b `c` d]]", "[x\n\ny](z.md)", "[a]([[b]].md)"])
def test_links_are_what_the_renderer_made(body):
    """Where extraction and Markdown disagree on bracket soup, the rendered links are the page's links."""
    check_vault({"p.md": "# P\n\n" + body + "\n", "q.md": "# Q\n"}, False)


@pytest.mark.parametrize("value", ["|", "#x", "[[]]", "[[|label]]", " "])
def test_a_front_matter_link_or_source_without_a_page_name_is_no_link(value):
    """`sources: ['|']` was a red link to a Wanted entry that did not exist; `links: '|'` an empty name."""
    check_front_matter_mapping({"links": [value], "sources": [value]})
    check_vault({"p.md": "---\n" + yaml.safe_dump({"title": "P", "links": [value], "sources": ["Alpha", value]}) + "---\n"},
                False)


def test_a_link_inside_what_markdown_takes_for_raw_html_is_raw_html():
    """`<A)[x](javascript:)[](>` is an HTML tag to Markdown, link and all: removed by the sanitizer."""
    html = render_body(make_markdown(), "[]](<A)[x](javascript:)[](>\\)").html
    assert 'href="javascript:' in html and "javascript" not in sanitize(html).html
