"""Refresh the README's screenshots: python -m tests.browser.screenshots [seed] [formatting]

seed: builds the demo wiki into a temporary folder, opens the seed page in headless Chromium at 1280 px
in each colour scheme, and saves a full-page screenshot (docs/screenshot-light.png, -dark.png).
formatting: builds the Obsidian help vault and saves, in each scheme, its "Advanced formatting syntax"
page's Diagram section (docs/screenshot-diagrams-*.png) and Math section (docs/screenshot-math-*.png)
once every diagram is drawn. Both when no argument is given. Each file is reduced to 256 colours with
Pillow when it is installed, to keep it small.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SEED
from tests.conftest import CORPORA, DEMO, ROOT
from tests.helpers import build


def shrink(png: bytes) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def save(png: bytes, name: str) -> None:
    target = ROOT / "docs" / name
    target.write_bytes(shrink(png))
    print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")


def seed(browser, tmp: Path) -> None:
    site = tmp / "demo"
    build(DEMO, site)
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        page.goto((site / SEED).as_uri())
        save(page.screenshot(full_page=True), f"screenshot-{scheme}.png")
        page.close()


# (file name, the heading the clip starts at, the elements the clip ends below the nth of)
FORMATTING_CLIPS = (("diagrams", "#diagram", ".diagram", 1), ("math", "#math", ".math-inline", 0))


def formatting(browser, tmp: Path) -> None:
    site = tmp / "help"
    build(CORPORA / "obsidian-help-en", site)
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        page.goto((site / "advanced-syntax.html").as_uri())
        page.wait_for_selector("html[data-diagrams=done]", timeout=30_000)
        page.evaluate("document.fonts.ready.then(() => true)")
        for name, start, end, nth in FORMATTING_CLIPS:
            top = page.eval_on_selector(start, "e => e.getBoundingClientRect().top + scrollY") - 16
            bottom = page.eval_on_selector_all(
                end, "(es, nth) => es[nth].closest('p, div').getBoundingClientRect().bottom + scrollY", nth) + 16
            save(page.screenshot(full_page=True, clip={"x": 0, "y": top, "width": 1280, "height": bottom - top}),
                 f"screenshot-{name}-{scheme}.png")
        page.close()


def main(argv: list[str]) -> int:
    wanted = argv or ["seed", "formatting"]
    with tempfile.TemporaryDirectory() as tmp:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, shoot in (("seed", seed), ("formatting", formatting)):
                if name in wanted:
                    shoot(browser, Path(tmp))
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
