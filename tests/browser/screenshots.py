"""Refresh docs/screenshot-light.png and docs/screenshot-dark.png: python -m tests.browser.screenshots

Builds the demo wiki into a temporary folder, opens the seed page in headless Chromium at 1280 px
in each colour scheme, and saves a full-page screenshot (reduced to 256 colours with Pillow when it
is installed, to keep each file small).
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SEED
from tests.conftest import DEMO, ROOT
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


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build(DEMO, site)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
                page.goto((site / SEED).as_uri())
                target = ROOT / "docs" / f"screenshot-{scheme}.png"
                target.write_bytes(shrink(page.screenshot(full_page=True)))
                print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")
                page.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
