"""The default theme's colours pass WCAG AA in both schemes (contrast ratios of the CSS variable pairs)."""

from __future__ import annotations

import math
import re

import pytest

from tests.conftest import ROOT

CSS = (ROOT / "templates" / "assets" / "style.css").read_text(encoding="utf-8")
CODE = ("code-keyword", "code-string", "code-comment", "code-number", "code-name", "code-tag", "code-meta")  # Pygments tokens
TYPES = tuple(f"t{i}" for i in range(1, 13))  # the type palette (render.PALETTE_SIZE)
TEXT = ("fg", "muted", "link", "visited", "missing", "accent", "entity", "concept", "synthesis", "other", *TYPES, *CODE)
BACKGROUNDS = ("bg", "card")


def variables(selector: str) -> dict[str, str]:
    """The custom properties set in the first rule for `selector`."""
    start = CSS.index(selector + " {")
    block = CSS[start:CSS.index("}", start)]
    return dict(re.findall(r"--([\w-]+):\s*([^;]+);", block))


LIGHT = variables(":root")
DARK = variables(':root[data-theme="dark"]')
SYSTEM_DARK = variables(':root:not([data-theme="light"])')


def luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_dark_scheme_is_the_same_from_the_system_and_the_toggle():
    assert SYSTEM_DARK == DARK


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("text", TEXT)
@pytest.mark.parametrize("background", BACKGROUNDS)
def test_text_colours_pass_aa(scheme, text, background):
    colours = LIGHT if scheme == "light" else {**LIGHT, **DARK}
    assert contrast(colours[text], colours[background]) >= 4.5


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_marked_text_and_focus_ring(scheme):
    colours = LIGHT if scheme == "light" else {**LIGHT, **DARK}
    assert contrast(colours["mark-fg"], colours["mark"]) >= 4.5
    for background in BACKGROUNDS:  # a focus ring is a non-text indicator: 3:1 (WCAG 1.4.11)
        assert contrast(colours["focus"], colours[background]) >= 3


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("text", ("fg", "missing", "entity", *CODE))
def test_code_colours_pass_aa_on_a_highlighted_line(scheme, text):
    colours = LIGHT if scheme == "light" else {**LIGHT, **DARK}
    assert contrast(colours[text], colours["code-line"]) >= 4.5


def test_every_colour_a_highlighted_token_uses_is_tested():
    rules = CSS[CSS.index("/* Fenced code highlighted"):CSS.index("/* Obsidian syntax")]
    used = set(re.findall(r"var\(--([\w-]+)\)", rules))
    assert used and used <= set(TEXT) | {"code-line"}


def oklab(hex_colour: str) -> tuple[float, float, float]:
    """A colour in Oklab (Björn Ottosson's), where distance matches how different two colours look."""
    hex_colour = hex_colour.lstrip("#")
    r, g, b = ((c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
               for c in (int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)))
    l, m, s = (x ** (1 / 3) for x in (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b,
                                      0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b,
                                      0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b))
    return (0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s, 1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
            0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_twelve_type_colours_are_told_apart(scheme):
    colours = LIGHT if scheme == "light" else {**LIGHT, **DARK}
    points = [oklab(colours[t]) for t in TYPES]
    closest = min(math.dist(a, b) for i, a in enumerate(points) for b in points[i + 1:])
    assert closest >= 0.07  # several times the least difference an eye sees (~0.02)


def test_every_palette_slot_has_its_class():
    for i in range(1, 13):
        assert f".type-t{i} {{ color: var(--t{i}); }}" in CSS
