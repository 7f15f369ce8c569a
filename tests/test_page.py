"""page.py: the small helpers of parse_source()."""

from __future__ import annotations

import pytest

from generator.parse.page import first_lines

TEXTS = ["", "\n", "a", "a\n", "a\nb", "a\nb\n", "---\nt: x\n---\nbody\n", "\n\n\n", "x\r\ny\n\nz"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("count", [-1, 0, 1, 2, 3, 4, 10])
def test_first_lines_is_the_join_of_the_first_lines(text, count):
    assert first_lines(text, count) == "\n".join(text.split("\n")[:max(count, 0)])
