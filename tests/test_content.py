"""Front matter and page fields."""

import pytest

from generator.config import Config
from generator.parse.content import decode_source, parse_page, split_front_matter

CONFIG = Config()


def parse(text, path="concepts/some-page.md", config=CONFIG):
    return parse_page(path, text, config)


def test_front_matter_fields():
    page, problems = parse("""---
title: "Interaction Models"
type: concept
summary: Models that interact.
tags: [a, "#b"]
aliases: [IM]
links: ["[[Other]]", Third]
sources: ["A paper (2026)"]
created: 2026-05-14
updated: 2026-05-15
custom: {x: 1}
---
Body text.
""")
    assert problems == []
    assert (page.title, page.type, page.summary) == ("Interaction Models", "concept", "Models that interact.")
    assert page.tags == ("a", "b")
    assert page.aliases == ("IM",)
    assert page.links == ("Other", "Third")
    assert page.sources == ("A paper (2026)",)
    assert (page.created, page.updated) == ("2026-05-14", "2026-05-15")
    assert page.meta == {"custom": {"x": 1}}
    assert page.body_line == 13


def test_defaults_title_from_h1_type_from_folder_summary_from_first_paragraph():
    page, problems = parse("# The Title\n\n## Section\n\nFirst **paragraph** with [[Link|a link]] and `code`.\nSecond line.\n\nNext.\n",
                           path="entities/x.md")
    assert problems == []
    assert page.title == "The Title"
    assert page.type == "entity"
    assert page.summary == "First paragraph with a link and code. Second line."
    assert "# The Title" not in page.body  # shown by the template, not twice


def test_defaults_title_from_file_name_and_type_page_at_root():
    page, _ = parse("Just text.", path="My Note.md")
    assert (page.title, page.type) == ("My Note", "page")


def test_type_and_id_keys_are_configurable():
    config = Config(type_keys=("kind",), id_keys=("uid",), link_keys=("see",))
    page, _ = parse("---\nkind: person\nuid: p.ada\nsee: [x.y]\ntype: ignored\n---\n", config=config)
    assert (page.type, page.declared_id, page.links) == ("person", "p.ada", ("x.y",))
    assert page.meta["type"] == "ignored"


def test_kind_is_a_default_type_key():
    page, _ = parse("---\nkind: synthesis\n---\nx")
    assert page.type == "synthesis"


@pytest.mark.parametrize("text, code, line", [
    ("---\ntitle: [unclosed\n---\nbody", "front-matter-yaml", 3),
    ("---\n- a\n- b\n---\nbody", "front-matter-not-mapping", 2),
    ("---\njust a string\n---\nbody", "front-matter-not-mapping", 2),
    ("---\ntitle: x\nbody without end", "front-matter-unclosed", 1),
])
def test_broken_front_matter_is_reported_with_line_and_ignored(text, code, line):
    page, problems = parse(text)
    assert [(p.code, p.line) for p in problems] == [(code, line)]
    assert page.title == "some-page"


def test_field_of_wrong_kind_is_reported_and_coerced():
    page, problems = parse("---\ntags: single\ntitle: [a, b]\n---\n")
    assert page.tags == ("single",)
    assert page.title == "some-page"
    assert sorted(p.code for p in problems) == ["field-type", "field-type"]
    assert any("'tags' must be a list" in p.message for p in problems)


def test_decode_bom_crlf_and_bad_bytes():
    text, problems = decode_source("a.md", "\ufeff---\r\ntitle: x\r\n---\r\nbody\r\n".encode("utf-8"))
    assert problems == [] and text == "---\ntitle: x\n---\nbody\n"
    text, problems = decode_source("a.md", b"ok\n\xff\xfe bad")
    assert text is None and problems[0].code == "not-utf8" and problems[0].line == 2
    text, problems = decode_source("a.md", b"\x00\x01\x02binary")
    assert text is None and problems[0].code == "binary-file"


def test_split_front_matter_without_front_matter():
    front, problems = split_front_matter("a.md", "# Title\ntext")
    assert (front.data, front.body_start, problems) == ({}, 0, [])


@pytest.mark.parametrize("raw", [b"", b"plain\nbody", b"---\ntitle: T\n---\nbody\n\nmore", b"\xef\xbb\xbf---\r\ntags: [a]\r\n---\r\nx\r\ny",
                                 b"---\nunclosed: yes\nbody", b"---\ntitle: Same\n---\n# Same\n\ntext\n", b"a\rb\r\rc"])
def test_body_lines_are_the_body_parse_page_numbers_read_from_the_bytes(raw):
    from generator.parse.content import body_lines, decode_source
    page, _ = parse_page("p.md", decode_source("p.md", raw)[0], Config())
    lines = body_lines(raw, page.body_line)
    assert len(lines) == len(page.body.split("\n"))
    # the same lines, but a title heading parse_page() blanks (lint skips headings either way)
    assert [a for a, b in zip(lines, page.body.split("\n")) if a != b] in ([], ["# Same"])


def test_body_lines_of_bytes_that_are_no_text_are_none():
    from generator.parse.content import body_lines
    assert body_lines(b"\xff\xfe bad", 1) == [] and body_lines(b"\x00binary", 1) == []


def test_unpickled_pages_share_the_strings_many_pages_hold():
    import pickle
    a, _ = parse_page("a.md", "---\ntitle: A\ntype: Lab\ntags: [x, y]\n---\nbody", Config())
    b, _ = parse_page("b.md", "---\ntitle: B\ntype: Lab\ntags: [x]\n---\nbody", Config())
    a2, b2 = (pickle.loads(pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)) for p in (a, b))
    assert (a2, b2) == (a, b)
    assert a2.type is b2.type and a2.tags[0] is b2.tags[0]
    assert all(x is y for one, other in zip(a2.front, b2.front) for x, y in zip(one[:2], other[:2]))
