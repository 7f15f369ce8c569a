"""In real headless Chromium, from file://: embedded images load, and a folded callout opens on a click."""

from __future__ import annotations

import pytest

from tests.conftest import CORPORA, require_corpus
from tests.helpers import build

pytestmark = pytest.mark.browser


def test_embeds_load_and_callouts_fold(make_vault, tmp_path, browser):
    photo = (require_corpus(CORPORA / "obsidian-help-en") / "Attachments" / "Engelbart.jpg").read_bytes()
    content = make_vault({
        "Note.md": "![[Engelbart.jpg|120]]\n\n![photo](Attachments/Engelbart.jpg)\n\n![[Other#Part]]\n\n"
                   "> [!faq]- Folded question\n> The hidden answer.\n",
        "Other.md": "## Part\n\nEmbedded section text.\n",
        "Attachments/Engelbart.jpg": photo,
    })
    out = tmp_path / "site"
    build(content, out)
    page = browser.new_page()
    page.goto((out / "note.html").as_uri())
    page.wait_for_load_state("load")
    sizes = page.eval_on_selector_all(".page-body img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.width])")
    assert len(sizes) == 2 and all(complete and natural > 0 for complete, natural, _ in sizes)
    assert sizes[0][2] == 120  # ![[…|120]]
    assert page.is_visible("text=Embedded section text.")
    assert not page.is_visible("text=The hidden answer.")
    page.click("summary.callout-title")
    page.wait_for_selector("text=The hidden answer.", state="visible", timeout=5000)
    page.close()
