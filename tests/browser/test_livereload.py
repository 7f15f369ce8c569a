"""Live reload in real headless Chromium: a saved edit appears by itself; a broken one shows the overlay until fixed."""

from __future__ import annotations

import pytest

from tests.browser.conftest import playwright_api as sync_api
from tests.conftest import write_vault
from tests.serving import ServeProcess

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000


@pytest.fixture
def served(tmp_path):
    write_vault(tmp_path / "content", {"index.md": "# Home\n\nSee [[Alpha]].\n",
                                       "alpha.md": "---\ntitle: Alpha\n---\nFirst version.\n"})
    server = ServeProcess(tmp_path, "--content", "content", "--out", "site")
    yield server
    server.stop()


def test_edits_reload_the_page_and_errors_show_an_overlay(browser, served, tmp_path):
    page = browser.new_page()  # not context_factory: reloading aborts the event stream request, as it should
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(served.url + "alpha.html")
    body = page.locator("main")
    sync_api.expect(body).to_contain_text("First version.", timeout=TIMEOUT_MS)
    # No need to wait for the event stream to connect: a page whose build is older than the
    # server's (the `hello` event) reloads itself, so an edit made before it connects is not missed.
    page.evaluate("() => { window.kbwikiMark = 'not reloaded yet'; }")

    source = tmp_path / "content/alpha.md"
    source.write_text("---\ntitle: Alpha\n---\nSecond version.\n", encoding="utf-8")
    sync_api.expect(body).to_contain_text("Second version.", timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.kbwikiMark") is None  # the page itself reloaded

    source.write_text("---\ntitle: Alpha\ntags: [unclosed\n---\nBroken version.\n", encoding="utf-8")
    overlay = page.locator("#kbwiki-overlay")
    sync_api.expect(overlay).to_contain_text("alpha.md:4:1: error: front matter is not valid YAML", timeout=TIMEOUT_MS)
    sync_api.expect(overlay).to_contain_text("last good version")
    sync_api.expect(body).to_contain_text("Second version.")  # the last good page stays

    page.reload()  # still broken: a reloaded page shows the overlay again
    sync_api.expect(overlay).to_be_visible(timeout=TIMEOUT_MS)
    page.keyboard.press("Escape")
    sync_api.expect(overlay).to_have_count(0)

    source.write_text("---\ntitle: Alpha\n---\nFixed version.\n", encoding="utf-8")
    sync_api.expect(body).to_contain_text("Fixed version.", timeout=TIMEOUT_MS)
    sync_api.expect(overlay).to_have_count(0)
    assert errors == []
    page.close()
