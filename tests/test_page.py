"""page.py: the small helpers of parse_source()."""

from __future__ import annotations

import pytest

from generator.parse.page import first_lines

TEXTS = ["", "\n", "a", "a\n", "a\nb", "a\nb\n", "---\nt: x\n---\nbody\n", "\n\n\n", "x\r\ny\n\nz"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("count", [-1, 0, 1, 2, 3, 4, 10])
def test_first_lines_is_the_join_of_the_first_lines(text, count):
    assert first_lines(text, count) == "\n".join(text.split("\n")[:max(count, 0)])


def test_a_placeholders_target_is_its_refs_string_in_every_process_that_loads_the_page():
    import pickle

    from generator.config import Config
    from generator.parse.page import parse_source
    from generator.parse.sources import SourceFile
    text = "---\ntitle: A\n---\nSee [[Ada Lovelace]], [[Ada Lovelace#Notes|her notes]] and [B](b.md).\n"
    parsed, _ = parse_source(SourceFile("a.md", text.encode()), Config())
    loaded = pickle.loads(pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
    refs = {ref.target: ref.target for ref in loaded.refs}
    assert {t for _, t, _ in loaded.body.placeholders} == {"Ada Lovelace", "b.md"}
    assert all(target is refs[target] for _, target, _ in loaded.body.placeholders)  # one string, not two


def test_the_search_fields_are_kept_as_utf8_cut_to_size():
    from generator.config import Config
    from generator.parse.page import BODY_CHARS, parse_source
    from generator.parse.sources import SourceFile
    text = "## Intro\n\nÉcole " + "word " * 400 + "\n"
    parsed, _ = parse_source(SourceFile("a.md", text.encode()), Config())
    heading, section, body = parsed.search
    assert isinstance(body, bytes) and body.decode("utf-8").startswith("Intro École word")
    assert len(body.decode("utf-8")) <= BODY_CHARS and body.decode("utf-8").endswith("…")
    assert heading == b"Intro" and section.decode("utf-8").startswith("École word")


def test_pages_loaded_one_by_one_share_their_link_targets():
    import pickle

    from generator.config import Config
    from generator.parse.page import parse_source
    from generator.parse.sources import SourceFile
    one, other = (pickle.loads(pickle.dumps(parse_source(SourceFile(name, text.encode()), Config())[0]))
                  for name, text in (("a.md", "See [[Ada Lovelace]].\n"), ("b.md", "Also [[Ada Lovelace]] and [[Babbage]].\n")))
    assert one.refs[0].target is other.refs[0].target
    assert one.body.placeholders[0][1] is other.body.placeholders[0][1] is one.refs[0].target
