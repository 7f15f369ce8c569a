"""Agent-kept LLM wikis: index.md home, log.md as Recent changes, type/kind, related/sources by id or stem.

The real sample (../shared/corpora/llm-wiki-sample, 4,109 pages, sources/ left out) is built once per module:
it is the slowest build in the suite, so the tests on it are few.
"""

from __future__ import annotations

import re

import pytest

from generator.parse.changelog import newest_first
from generator.parse.markdown import Heading
from tests.conftest import CORPORA, require_corpus
from tests.helpers import build, output

SAMPLE = CORPORA / "llm-wiki-sample"


@pytest.fixture(scope="module")
def sample():
    return build(require_corpus(SAMPLE))


def test_sample_builds_every_page_with_index_as_home(sample):
    assert len(sample.wiki.entries) == 4109
    assert sample.wiki.entries[sample.wiki.home_slug].page.src_path == "index.md"
    conflicts = sorted(d.src_path for d in sample.diagnostics if d.code == "merge-conflict")
    assert conflicts == ["concepts/BehavioralEquivalenceAudit.md", "concepts/GovernanceLayer.md"]
    audit = sample.wiki.entries[sample.wiki.by_src["concepts/BehavioralEquivalenceAudit.md"]].page
    assert (audit.title, audit.type) == ("Behavioral Equivalence Audit", "concept")  # front matter read despite them


def test_sample_wanted_pages_list_the_missing_sources(sample):
    wanted = {w.target: w for w in sample.wiki.wanted}
    # front-matter `sources:` ids of the left-out sources/ pages
    refs = wanted["nocturne-bg3-continued-entry-001"].refs
    assert {"concepts/OmniAttunement.md", "concepts/CollegeOfSwords.md"} <= {r.src_path for r in refs}
    # index.md's Markdown links into sources/, listed by their vault path (not `[[x]](path)`: Markdown
    # reads that as a wiki link followed by text, and a link is what the renderer makes)
    index_links = re.findall(r"(?<!\])\]\((sources/[^)]+)\.md\)", (SAMPLE / "index.md").read_text(encoding="utf-8"))
    assert index_links and all(name in wanted for name in index_links)
    assert not any(target.startswith("../") for target in wanted)
    page = output(sample, "special/wanted.html")
    assert 'id="wanted-nocturne-bg3-continued-entry-001"' in page


def test_sample_recent_changes_newest_first(sample):
    page = output(sample, "special/recent-changes.html")
    days = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})">', page)
    assert len(days) > 40 and days == sorted(days, reverse=True)
    assert page.count('<article class="log-entry">') > 1000
    assert '<span class="log-op">ingest</span> Skeptic Cron Auto-Merge</h3>' in page
    assert '<a href="special/recent-changes.html">Recent changes</a>' in output(sample, "index.html")


@pytest.mark.parametrize("text, expected", [
    ("[2026-06-02] ingest | Skeptic Cron", ("2026-06-02", "ingest", "Skeptic Cron")),
    ("2026-04-15 — wiki-ingest | Level-Up Bugs Audit", ("2026-04-15", "wiki-ingest", "Level-Up Bugs Audit")),
    ("2026-04-11 ingest | PRs | more | parts", ("2026-04-11", "ingest", "PRs | more | parts")),
    ("2026-04-01 Plain title", ("2026-04-01", "", "Plain title")),
    ("Notes", None),
])
def test_log_headings(text, expected):
    found = newest_first((Heading(2, "h", text),))
    assert (found[0].date, found[0].op, found[0].title) == expected if expected else found == []


def test_log_appended_oldest_first_still_lists_the_latest_first():
    headings = tuple(Heading(2, str(i), f"[{d}] ingest | {t}") for i, (d, t) in
                     enumerate([("2026-01-01", "a"), ("2026-01-02", "b"), ("2026-01-02", "c")]))
    assert [e.title for e in newest_first(headings)] == ["c", "b", "a"]


def test_llm_wiki_conventions_with_no_config(make_vault):
    content = make_vault({
        "index.md": "# Wiki Index\n\n- [Overview](overview.md) — the synthesis\n",
        "overview.md": "---\ntitle: Overview\nkind: synthesis\nrelated: [alpha-id, Beta]\n---\nSee [[Alpha]].\n",
        "concepts/Alpha.md": "---\nid: alpha-id\ntype: concept\nsources: [src-one, \"A book, chapter 2\"]\n---\n# Alpha\n\n"
                             "## Connections\n\n- [[Beta]] — a sibling\n",
        "entities/Beta.md": "# Beta\n\nAn entity.\n",
        "log.md": "# Log\n\n## [2026-05-01] ingest | Alpha\n\nAdded [[Alpha]].\n\n## [2026-05-03] query | Beta\n\nAsked.\n",
    })
    site = build(content)
    wiki = site.wiki
    assert wiki.entries[wiki.home_slug].page.src_path == "index.md"
    assert wiki.entries["overview"].page.type == "synthesis"  # `kind`
    assert wiki.entries["concepts/alpha"].page.type == "concept" and wiki.entries["entities/beta"].page.type == "entity"  # type, folder
    assert sorted(wiki.graph.outlinks("overview")) == ["concepts/alpha", "entities/beta"]  # related: by id and by file stem
    assert "overview" in wiki.graph.backlinks("concepts/alpha") and "concepts/alpha" in wiki.graph.backlinks("entities/beta")  # Connections
    assert [w.target for w in wiki.wanted] == ["src-one"]  # the free-text source is not a link
    recent = output(site, "special/recent-changes.html")
    assert recent.index("2026-05-03") < recent.index("2026-05-01")
    assert '<a class="wikilink" href="../concepts/alpha.html">Alpha</a>' in recent
