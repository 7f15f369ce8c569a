"""safejson.py: JSON inside <script> cannot end the element, and reads back as the same data."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from generator.config import Config
from generator.emit.render import make_environment
from generator.emit.safejson import script_json

PAYLOADS = ["</script><script>alert(1)</script>", "<!--", "<![CDATA[", "]]>", "&lt;", "\u2028\u2029", 'a"b\\c', "日本語"]


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        if self.lasttag == "script":
            self.scripts.append(data)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_round_trip_and_no_dangerous_characters(payload):
    data = {"title": payload, "list": [payload, 1, None, True], payload: "key"}
    text = script_json(data)
    assert json.loads(text) == data
    for char in "<>&\u2028\u2029":
        assert char not in text


def test_a_page_embedding_hostile_json_has_exactly_one_script():
    data = {"titles": PAYLOADS}
    page = f'<html><body><script type="application/json" id="d">{script_json(data)}</script><p>after</p></body></html>'
    parser = Scripts()
    parser.feed(page)
    assert parser.tags.count("script") == 1 and "p" in parser.tags
    assert json.loads(parser.scripts[0]) == data


def test_the_template_filter_is_not_escaped_twice():
    env = make_environment(Config())
    html = env.from_string("<script>var d = {{ data|script_json }};</script>").render(data={"t": "</script>&"})
    assert html == '<script>var d = {"t":"\\u003c/script\\u003e\\u0026"};</script>'


def test_output_is_deterministic():
    assert script_json({"b": 1, "a": [2, {"d": 3, "c": 4}]}) == '{"a":[2,{"c":4,"d":3}],"b":1}'
