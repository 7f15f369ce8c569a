"""In real Chromium: hostile page text, script URLs and raw HTML (sanitized by default) run no script."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import Error as PlaywrightError

from tests.helpers import build
from tests.test_sanitize import HOSTILE, PAGE

pytestmark = pytest.mark.browser  # `browser`: the session's headless Chromium (tests/browser/conftest.py)

RUN = "window.__xss=(window.__xss||0)+1"
EVIL = f"<script>{RUN}</script><img src=x onerror=\"{RUN}\">\"onmouseover=\"{RUN}\" x='"
FRONT = {"title": f"T {EVIL}", "summary": f"S {EVIL}", "type": f"k {EVIL}", "tags": [f"g {EVIL}"],
         "aliases": [f"A {EVIL}"], "sources": [f"javascript:{RUN}", f"[[M {EVIL}]]"], "custom": EVIL}
BODY = f"""[click](javascript:{RUN}) [also](JaVaScRiPt:{RUN}) [ent](&#106;avascript:{RUN}) [[W {EVIL}]]
![img](javascript:{RUN}) [data](data:text/html,<script>parent.__xss=1</script>)
"""
RAW = f"""Raw <script>{RUN}</script> <img src=x onerror="{RUN}"> <a href="javascript:{RUN}" onmouseover="{RUN}">raw</a>
<svg onload="{RUN}"></svg> <iframe srcdoc="<script>parent.__xss=1</script>"></iframe>
"""


TRIGGER = """() => {
  for (const el of document.querySelectorAll('*')) {
    // A plain Event, not a MouseEvent: handlers run, links are not followed.
    for (const type of ['mouseover', 'mouseenter', 'focus', 'click']) el.dispatchEvent(new Event(type, {bubbles: true}));
  }
  // Links that could only run script: no href (blocked), or a script URL (there must be none).
  for (const a of document.querySelectorAll('a:not([href]), a[href^="javascript" i], a[href^="data" i]')) a.click();
}"""


def visit_everything(browser, site_dir) -> list[str]:
    """Open every page, fire mouse, focus and click events on every element, click every link that stays on
    the page; return what ran (dialogs, pages where the __xss counter moved)."""
    ran: list[str] = []
    for html in sorted(site_dir.rglob("*.html")):
        # A fresh tab per file: a navigation the previous page's clicks started cannot interrupt this one.
        page = browser.new_page()
        page.on("dialog", lambda d: (ran.append(f"dialog {d.message}"), d.dismiss()))
        page.goto(html.as_uri())
        try:
            page.evaluate(TRIGGER)
        except PlaywrightError:  # a click made the theme's script navigate away mid-evaluation
            pass
        page.wait_for_load_state()
        if page.url.startswith(html.as_uri()):  # else the theme followed a click elsewhere: nothing can run
            try:
                if page.evaluate("window.__xss || 0"):
                    ran.append(html.name)
            except PlaywrightError:
                pass  # still navigating away: this page's scripts are gone
        page.close()
    return ran


def test_hostile_fields_and_links_run_nothing(browser, make_vault, tmp_path):
    text = "---\n" + yaml.safe_dump(FRONT, allow_unicode=True) + "---\n" + BODY
    content = make_vault({"evil.md": text, "other.md": "# Other\n\n[[evil]]\n"})
    build(content, tmp_path / "site")
    assert visit_everything(browser, tmp_path / "site") == []


# A sample of tests/test_sanitize.py's table: one page each, every payload setting window.__xss or opening a dialog.
SAMPLE = ("script", "script-self-closed", "onerror", "onclick-mixed-case", "onerror-after-slash", "ontoggle",
          "onfocus-autofocus", "javascript-entity", "javascript-tab-entity", "srcdoc", "svg-onload", "math-style-mutation",
          "noscript-mutation", "body-onload", "nested-script", "comment-break-out", "unclosed-quote", "kelvin-sign-tag")


def test_raw_html_runs_nothing(browser, make_vault, tmp_path):
    pages = {"raw.md": "# Raw\n\n" + RAW}
    pages.update({f"{name}.md": PAGE.format(name, snippet) for name, snippet, _ in HOSTILE if name in SAMPLE})
    assert len(pages) == len(SAMPLE) + 1
    content = make_vault(pages)
    build(content, tmp_path / "site")
    assert visit_everything(browser, tmp_path / "site") == []
    build(content, tmp_path / "unsafe", sanitize=False)  # the control: kept as written, the payloads do run
    ran = visit_everything(browser, tmp_path / "unsafe")
    assert {"raw.html", "script.html", "onerror.html", "onclick-mixed-case.html", "body-onload.html", "srcdoc.html",
            "noscript-mutation.html", "comment-break-out.html", "kelvin-sign-tag.html"} <= set(ran), ran
