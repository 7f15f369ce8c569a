"""The Markdown instance and our extension."""

import pytest

from generator.parse.markdown import (SAFE_URL_STARTS, LinkTarget, fill_links, heading_id, make_markdown, render_body,
                                      rendered_placeholders, url_is_unsafe)


def render(text):
    return render_body(make_markdown(), text)


def test_headings_get_ids_and_a_hash_permalink():
    body = render("## What it is\n\ntext\n\n### Related\n")
    assert '<h2 id="what-it-is">What it is<a class="headerlink" href="#what-it-is"' in body.html
    assert ">#</a></h2>" in body.html
    assert [(h.level, h.id, h.text) for h in body.headings] == [(2, "what-it-is", "What it is"), (3, "related-section", "Related")]


def test_heading_ids_avoid_template_ids():
    assert heading_id("Related") == "related-section"
    assert heading_id("Backlinks") == "backlinks-section"
    assert heading_id("Other") == "other"


def test_tables_fenced_code_and_footnotes():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n\nNote[^1]\n\n[^1]: here\n").html
    assert "<table>" in html and '<code class="language-python">' in html and 'class="footnote"' in html


def test_links_become_placeholders_and_code_is_left_alone():
    html = render("[[Alpha|a]] `[[Code]]` [m](dir/b%20c.md#x) [e](https://e.org)\n").html
    assert 'href="kbref:w:Alpha#"' in html
    assert 'href="kbref:m:dir%2Fb%20c.md#x"' in html
    assert "<code>[[Code]]</code>" in html
    assert 'href="https://e.org"' in html


def test_fill_links_resolves_and_marks_red_links():
    html = render("[[Here]] and [[Gone]]\n").html
    filled = fill_links(html, lambda syntax, target, frag: LinkTarget("here.html") if target == "Here"
                        else LinkTarget("special/wanted.html#wanted-gone", True, f"Page not found: {target}"))
    assert '<a class="wikilink" href="here.html">Here</a>' in filled
    assert '<a class="wikilink missing" href="special/wanted.html#wanted-gone" title="Page not found: Gone">Gone</a>' in filled
    assert "kbref:" not in filled


def test_label_of_heading_link():
    html = render("[[Page#Part]] [[#Local]]\n").html
    assert ">Page › Part</a>" in html and ">Local</a>" in html


def test_reading_text_leaves_out_permalinks():
    assert render("## Title\n\nSome *text*.\n").text == "Title Some text."


@pytest.mark.parametrize("html, expected", [
    ("", ()),
    ('<a class="wikilink" href="kbref:w:A#">A</a> <a class="wikilink" href="kbref:w:A#">again</a>', (("w", "A", ""),)),
    ('<a class="wikilink" href="kbref:w:A%20B#x">1</a><a class="wikilink" href="kbref:m:b.md#">2</a>'
     '<a class="wikilink" href="kbref:w:A B#x">same, written unquoted</a><a class="wikilink" href="kbref:t:tag#">3</a>',
     (("w", "A B", "x"), ("m", "b.md", ""), ("t", "tag", ""))),
])
def test_rendered_placeholders_are_distinct_unquoted_and_in_order(html, expected):
    assert rendered_placeholders(html) == expected


def test_render_body_keeps_what_clean_returns_and_the_placeholders_it_rendered():
    text = "[[A]] and [[B]]\n\n![[c.png]]"
    plain = render(text)
    cleaned = render_body(make_markdown(), text, clean=lambda html: html.replace("kbref:e:", "x:"))
    assert cleaned.placeholders == plain.placeholders and cleaned.text == plain.text
    assert cleaned.html == plain.html.replace("kbref:e:", "x:") and plain.embeds and not cleaned.embeds


@pytest.mark.parametrize("start", SAFE_URL_STARTS)
@pytest.mark.parametrize("rest", ["", "x", "javascript:alert(1)", "&#106;avascript:1", "\x00\tdata:text/html,x",
                                  "\x02wzxhzdk:0\x03", "%0ajavascript:"])
def test_a_url_with_a_safe_start_is_never_unsafe(start, rest):
    assert not url_is_unsafe(start + rest) and not url_is_unsafe(start + rest, image=True)
