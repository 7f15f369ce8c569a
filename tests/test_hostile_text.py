"""Hostile page text never becomes markup or script: every field reaching HTML is escaped, bad URLs go."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from generator.parse.markdown import make_markdown, render_body, url_is_unsafe
from tests.helpers import build, elements, output

# Each payload tries to open an element, break out of a quoted attribute, or both.
TAG = "<script>alert(1)</script>"
ATTR = '"onmouseover="alert(1)'
EVIL = f"{TAG}{ATTR}'><img src=x onerror=alert(1)>"

FRONT_MATTER = {
    "title": f"Title {EVIL}",
    "summary": f"Summary {EVIL}",
    "type": f"kind {EVIL}",
    "tags": [f"tag {EVIL}", "plain"],
    "aliases": [f"Alias {EVIL}"],
    "id": f"id {EVIL}",
    "sources": ['https://example.com/?q="><script>x</script>', "javascript:alert(1)", f"Free text {EVIL}", f"[[Missing {EVIL}]]"],
    "links": [f"[[Missing link {EVIL}]]"],
    "created": f"2026 {EVIL}",
    "updated": f"2027 {EVIL}",
    "custom": f"Custom {EVIL}",
}
HOSTILE_PAGE = f"---\n{yaml.safe_dump(FRONT_MATTER, allow_unicode=True)}---\nBody links to [[Wanted {EVIL}]] and [[Other]].\n"

OTHER = """---
title: Other
---
Links back to [[evil]]. (Raw HTML in a page's own body is sanitized: test_raw_html_in_a_body_runs_nothing.)
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    content = tmp_path_factory.mktemp("hostile") / "content"
    content.mkdir()
    (content / "evil.md").write_text(HOSTILE_PAGE, encoding="utf-8")
    (content / "other.md").write_text(OTHER, encoding="utf-8")
    site = build(content)
    assert not [d for d in site.diagnostics if d.code.startswith("front-matter")]
    return site


def evil_path(site) -> str:
    return site.wiki.entries[site.wiki.by_src["evil.md"]].out_path


def html_outputs(site):
    return [o for o in site.outputs if o.out_path.endswith(".html")]


def test_no_payload_becomes_an_element_or_attribute_anywhere(hostile_site):
    pages = html_outputs(hostile_site)
    assert {evil_path(hostile_site), "other.html", "index.html", "special/wanted.html", "special/all-pages.html"} <= {o.out_path for o in pages}
    for item in pages:
        for tag, attrs in elements(item.data.decode()):
            assert tag != "img", (item.out_path, tag, attrs)
            if tag == "script":  # only the theme's own scripts, from files
                assert attrs.get("src", "").endswith(".js"), (item.out_path, tag, attrs)
            assert not any(name.startswith("on") for name in attrs), (item.out_path, tag, attrs)
            if tag in ("a", "img", "iframe", "form", "area"):
                for name in ("href", "src", "action"):
                    assert not url_is_unsafe(attrs.get(name) or ""), (item.out_path, tag, attrs)


@pytest.mark.parametrize("field", ["Title", "Summary", "tag", "Alias", "Free text", "2026", "2027", "Wanted", "Missing"])
def test_each_field_is_shown_as_text(hostile_site, field):
    """The payload is there, as visible text: escaped, not dropped."""
    shown = output(hostile_site, evil_path(hostile_site)) + output(hostile_site, "special/wanted.html")
    assert f"{field} &lt;script&gt;alert(1)&lt;/script&gt;" in shown


@pytest.mark.parametrize("out_path", ["index.html", "special/all-pages.html", "other.html", "tags/plain.html",
                                      "special/wanted.html"])
def test_cards_and_listings_escape_titles_and_summaries(hostile_site, out_path):
    text = output(hostile_site, out_path)
    assert "Title &lt;script&gt;" in text
    assert "<script>" not in text


def test_the_summary_in_the_meta_description_stays_inside_its_attribute(hostile_site):
    metas = [a for t, a in elements(output(hostile_site, evil_path(hostile_site))) if t == "meta" and a.get("name") == "description"]
    assert len(metas) == 1 and metas[0]["content"].startswith("Summary <script>")


def test_sources_link_only_http_urls(hostile_site):
    anchors = [a for t, a in elements(output(hostile_site, evil_path(hostile_site))) if t == "a"]
    hrefs = [a["href"] for a in anchors]
    assert 'https://example.com/?q="><script>x</script>' in hrefs  # quoted safely, still the same URL
    assert not any(h.startswith("javascript") for h in hrefs)
    assert "javascript:alert(1)</li>" in output(hostile_site, evil_path(hostile_site))  # shown as text


def test_graph_json_keeps_hostile_text_as_data(hostile_site):
    data = json.loads(output(hostile_site, "graph.json"))
    page = next(p for p in data["pages"] if p["path"] == "evil.md")
    assert page["title"] == f"Title {EVIL}"
    assert page["aliases"] == [f"Alias {EVIL}"]
    assert f"tag {EVIL}" in page["tags"]
    assert any(w["target"] == f"Wanted {EVIL}" for w in data["wanted"])


@pytest.mark.parametrize("markdown, kept", [
    ("[x](javascript:alert(1))", False),
    ("[x](JavaScript:alert(1))", False),
    ("[x]( \tjava\nscript:alert(1))", False),
    ("[x](&#106;avascript:alert(1))", False),
    ("[x](&#x6A;avascript:alert(1))", False),
    ("[x](vbscript:msgbox(1))", False),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", False),
    ("[x][ref]\n\n[ref]: javascript:alert(1)", False),
    ("<javascript:alert(1)>", True),  # not an autolink in Markdown: stays text
    ("![x](javascript:alert(1))", False),
    ("![x](data:text/html,hi)", False),
    ("![x](data:image/png;base64,iVBORw0KGgo=)", True),  # an image cannot run script
    ("[x](https://example.com/javascript:)", True),
    ("[x](notes/javascript.md)", True),
])
def test_script_urls_are_removed_from_links_and_images(markdown, kept):
    body = render_body(make_markdown(), markdown)
    urls = re.findall(r'(?:href|src)="([^"]*)"', body.html)
    unsafe = [u for u in urls if url_is_unsafe(u, image=u.startswith("data:image/"))]
    assert unsafe == []
    assert bool(body.blocked) is not kept


def test_a_removed_link_keeps_its_text_and_is_reported(make_vault):
    site = build(make_vault({"a.md": "# A\n\nline two\n\nClick [here](javascript:alert(1)).\n"}))
    html = output(site, "a.html")
    assert '<a class="blocked-link" title="Link removed: this kind of URL can run script">here</a>' in html
    found = [d for d in site.diagnostics if d.code == "unsafe-url"]
    assert len(found) == 1 and found[0].src_path == "a.md" and found[0].line == 5 and found[0].level == "warning"


def test_raw_html_in_a_body_runs_nothing(make_vault):
    """The same payloads written as raw HTML in a page's own body: sanitized by default, so no script, handler
    or script URL is left; the author's <img> stays, without its handler, and the rest is text."""
    site = build(make_vault({"raw.md": f"# Raw\n\n{EVIL}\n\nInline {EVIL} and <a href=\"&#106;avascript:alert(1)\">a</a>.\n"}))
    html = output(site, "raw.html")
    for tag, attrs in elements(html):
        if tag == "script":  # only the theme's own scripts, from files
            assert attrs.get("src", "").endswith(".js"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src", "action"):
            assert not url_is_unsafe(attrs.get(name) or "", image=tag in ("img", "link")), (tag, attrs)  # link: the icon
    assert '<img src=x>' in html and "onmouseover=&quot;alert(1)" not in html  # the quote trick is text
    assert sorted({d.message for d in site.diagnostics if d.code == "unsafe-html"}) == [
        "<script> removed", "javascript: URL removed from <a href>", "onerror= removed from <img>"]


def test_wiki_link_targets_never_become_script_urls(make_vault):
    site = build(make_vault({"a.md": "[[javascript:alert(1)]] [[javascript:alert(1)|x]] [[data:text/html,x]]\n"}))
    for tag, attrs in elements(output(site, "a.html")):
        if tag == "a":
            assert not url_is_unsafe(attrs.get("href") or "")
    assert 'href="special/wanted.html#wanted-javascript-alert-1"' in output(site, "a.html")


def test_an_empty_body_does_not_inherit_the_previous_pages_findings():
    md = make_markdown()
    render_body(md, "Some text [x](javascript:alert(1))")
    empty = render_body(md, "")
    assert empty.blocked == () and empty.text == ""


def test_data_scripts_hold_hostile_text_escaped(hostile_site):
    """The search shards and graph-data.js carry titles into scripts through safejson.script_json."""
    scripts = [o for o in hostile_site.outputs if o.out_path.endswith(".js") and not o.out_path.startswith("assets/")]
    assert scripts
    for item in scripts:
        text = item.data.decode()
        assert "\\u003cscript\\u003e" in text and "<" not in text and "\u2028" not in text, item.out_path
