"""The benchmark corpus generator (benchmarks/corpus.py) and the runner's pure parts. No timing assertions."""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

import pytest

from benchmarks import corpus as corpus_mod
from benchmarks import report
from benchmarks.report import COLD, EDIT_CLI, NO_CHANGE, Result
from tests.helpers import build

_WIKI_TARGET = re.compile(r"\[\[([^\[\]|\n]+)(?:\|[^\[\]\n]+)?\]\]")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _targets(corpus: corpus_mod.Corpus) -> list[str]:
    return [m.group(1) for page in corpus.pages for m in _WIKI_TARGET.finditer(page.text)]


@pytest.fixture(scope="module")
def big():
    """1,000 pages, in memory only (about a second)."""
    return corpus_mod.generate(1000, seed=7)


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    for fmt in ("kbwiki", "hugo", "mkdocs"):
        first = _files(corpus_mod.write(corpus_mod.generate(40, seed=3), tmp_path / f"a-{fmt}", fmt))
        second = _files(corpus_mod.write(corpus_mod.generate(40, seed=3), tmp_path / f"b-{fmt}", fmt))
        assert first == second and len(first) > 40
    other = _files(corpus_mod.write(corpus_mod.generate(40, seed=4), tmp_path / "c", "kbwiki"))
    assert other != _files(tmp_path / "a-kbwiki")


def test_n_pages_with_front_matter_in_entities_and_concepts(tmp_path):
    content = corpus_mod.write_kbwiki(corpus_mod.generate(60, seed=1), tmp_path / "content")
    pages = sorted(content.rglob("*.md"))
    assert len(pages) == 60
    assert {p.parent.name for p in pages} == {"entities", "concepts"}
    for path in pages:
        text = path.read_text(encoding="utf-8")
        front = _FRONT.match(text)
        assert front, path
        keys = {line.split(":", 1)[0] for line in front.group(1).splitlines()}
        assert {"title", "type", "summary", "tags", "created", "updated"} <= keys
        assert "\n## " in text and "\n| --- |" in text and "\n```" in text and "[[" in text
    sizes = [p.stat().st_size for p in pages]
    assert 4000 < statistics.median(sizes) < 7000


def test_about_two_percent_of_links_dangle(big):
    titles = {p.title for p in big.pages}
    targets = _targets(big)
    dangling = sum(t not in titles for t in targets)
    assert len(targets) == big.links and dangling == big.dangling
    assert 0.015 < dangling / len(targets) < 0.025


def test_a_few_hubs_collect_far_more_links_than_the_median_page(big):
    titles = {p.title for p in big.pages}
    counts: dict[str, int] = {}
    for target in _targets(big):
        if target in titles:
            counts[target] = counts.get(target, 0) + 1
    degrees = sorted((counts.get(t, 0) for t in titles), reverse=True)
    assert degrees[0] > 1000 and degrees[0] > 50 * max(1, statistics.median(degrees))
    assert big.by_rank()[0].title == max(counts, key=counts.get)


def test_hugo_and_mkdocs_get_plain_markdown_links_to_the_same_pages(tmp_path):
    corpus = corpus_mod.generate(50, seed=2)
    hugo = corpus_mod.write_hugo(corpus, tmp_path / "hugo")
    mkdocs = corpus_mod.write_mkdocs(corpus, tmp_path / "mkdocs")
    assert (hugo / "hugo.toml").is_file() and (hugo / "layouts/_default/single.html").is_file()
    assert (mkdocs / "mkdocs.yml").is_file()
    for page in corpus.pages:
        for text in ((hugo / "content" / page.src_path).read_text(), (mkdocs / "docs" / page.src_path).read_text()):
            assert "[[" not in text
    broken = 0
    for page in corpus.pages:
        doc = mkdocs / "docs" / page.src_path
        for href in re.findall(r"\]\(([^)]+\.md)\)", doc.read_text()):
            broken += not (doc.parent / href).resolve().is_file()
    assert broken == corpus.dangling


def test_writing_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.md").write_text("keep me")
    with pytest.raises(FileExistsError):
        corpus_mod.write_kbwiki(corpus_mod.generate(5), tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.md").read_text() == "keep me"


def test_kbwiki_reports_one_broken_link_per_dangling_link(tmp_path):
    corpus = corpus_mod.generate(50, seed=5)
    assert corpus.dangling > 0
    site = build(corpus_mod.write_kbwiki(corpus, tmp_path / "content"))
    codes = [d.code for d in site.diagnostics]
    assert codes.count("broken-link") == corpus.dangling
    assert not [d for d in site.diagnostics if d.level == "error"]  # red links are warnings; no clashing URLs
    assert len(site.wiki.entries) == 50


@pytest.mark.parametrize("cold, floor, no_change, edit, rss, verdicts", [
    (30.0, 25.0, 0.5, 1.0, 500, ["met", "met", "met", "met"]),
    (100.0, 25.0, 2.0, 3.0, 700, ["NOT met", "NOT met", "NOT met", "NOT met"]),
])
def test_targets_mark_issue_16s_targets_met_or_not(cold, floor, no_change, edit, rss, verdicts):
    mb = report.MB
    results = [Result("10k", "kbwiki", COLD, [cold], rss * mb, largest_rss=rss * mb, tree_pss=rss * mb // 2),
               Result("10k", "floor", report.MD_FLOOR, [floor]), Result("10k", "kbwiki", NO_CHANGE, [no_change]),
               Result("10k", "kbwiki", EDIT_CLI, [edit]), Result("10k", "Hugo", COLD, [5.0])]
    rows = {name: verdict for name, _, verdict in report.targets(results, None)}
    assert [rows["10k: cold build ≤ 1.5 × the Markdown floor"], rows["10k: no-change build ≤ 1 s"],
            rows["10k: one-page body edit (CLI) ≤ 2 s"], rows["10k: largest process ≤ 600 MB"]] == verdicts
    assert rows["1k: cold build ≥ 10 × faster than MkDocs"] == "—"
    assert rows["10k: kbwiki against Hugo (reported)"] == "—"  # reported beside, not a target
    measured = {name: value for name, value, _ in report.targets(results, None)}
    assert measured["10k: largest process ≤ 600 MB"] == f"{rss} MB largest process (tree PSS {rss // 2} MB)"


def test_a_failed_tool_has_no_median_and_leaves_its_target_unjudged():
    results = [Result("10k", "kbwiki", COLD, [10.0]), Result("10k", "floor", report.MD_FLOOR, [], status="failed: exit 1")]
    assert results[1].median is None
    rows = {name: verdict for name, _, verdict in report.targets(results, None)}
    assert rows["10k: cold build ≤ 1.5 × the Markdown floor"] == "—"


def test_the_markdown_floor_converts_every_page(tmp_path):
    from benchmarks import md_floor
    corpus_mod.write_kbwiki(corpus_mod.generate(20, seed=3), tmp_path / "c")
    pages, made = md_floor.run(tmp_path / "c", 1)
    assert pages == 20 and made > 20 * 1000
    assert md_floor.body_of("---\ntitle: x\n---\n# Hi\n") == "# Hi\n" and md_floor.body_of("# Hi") == "# Hi"


def test_run_command_measures_a_real_subprocess(tmp_path):
    from benchmarks import measure
    ok = measure.run_command([sys.executable, "-c", "x = bytearray(50 * 1024 * 1024); print('done')"], tmp_path / "log")
    assert ok.ok and ok.peak_rss > 50 * 1024 * 1024 and "done" in ok.tail and ok.cpu_seconds > 0
    bad = measure.run_command([sys.executable, "-c", "import sys; sys.exit('broken tool')"], tmp_path / "log")
    assert not bad.ok and "exit 1" in bad.problem() and "broken tool" in bad.problem()


def test_tree_memory_counts_pages_a_forked_child_shares_once():
    import subprocess
    from benchmarks import measure
    script = ("import os, sys\nbuf = bytearray(os.urandom(1024)) * (80 * 1024)\n"  # 80 MB, every page touched
              "pid = os.fork()\n"
              "if pid == 0:\n    sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read(); os._exit(0)\n"
              "os.waitpid(pid, 0)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"  # the child is alive and shares the buffer
        rss, pss = measure.tree_rss(proc.pid), measure.tree_pss(proc.pid)
    finally:
        proc.stdin.close()
        proc.wait()
    mb = 1024 * 1024
    assert rss > 150 * mb  # the buffer counted in both processes
    assert 75 * mb < pss < rss - 60 * mb  # counted once


def test_tree_memory_does_not_count_an_exiting_worker_by_its_rss(monkeypatch):
    """A worker whose memory map is already gone (it is exiting) cannot be read: its RSS, taken a moment
    before, must not stand in for its PSS (it counts every page it shared with its parent again)."""
    from benchmarks import measure
    mb = 1024 * 1024
    monkeypatch.setattr(measure, "_tree", lambda root, include_root: ([1, 2], {1: 400 * mb, 2: 300 * mb}))
    monkeypatch.setattr(measure, "_pss", {1: 360 * mb, 2: None}.get)
    assert measure.tree_pss(0) == 360 * mb  # not 360 + 300
    monkeypatch.setattr(measure, "_pss", lambda pid: None)  # no PSS anywhere: the RSS it is
    assert measure.tree_pss(0) == 700 * mb


def test_tree_memory_is_read_again_when_the_tree_changed_meanwhile(monkeypatch):
    """A worker forked after the listing shares the parent's pages three ways: a sum without it undercounts."""
    from benchmarks import measure
    mb = 1024 * 1024
    two, three = ([1, 2], {1: 400 * mb, 2: 400 * mb}), ([1, 2, 3], {1: 400 * mb, 2: 400 * mb, 3: 400 * mb})
    trees = iter([two, three, three, three])
    monkeypatch.setattr(measure, "_tree", lambda root, include_root: next(trees))
    pss = {1: iter([133 * mb, 133 * mb]), 2: iter([133 * mb, 133 * mb]), 3: iter([134 * mb])}
    monkeypatch.setattr(measure, "_pss", lambda pid: next(pss[pid]))
    assert measure.tree_pss(0) == 400 * mb  # the stable reading, not 266


def test_the_doc_keeps_its_usage_and_replaces_the_figures(tmp_path):
    doc = tmp_path / "benchmarks.md"
    report.write_doc(doc, ["first figures"])
    assert doc.read_text().startswith("# Benchmarks") and "first figures" in doc.read_text()
    doc.write_text(doc.read_text().replace("## Usage", "## Usage\n\nA note the lead added."))
    report.write_doc(doc, ["second figures"])
    text = doc.read_text()
    assert "A note the lead added." in text and "second figures" in text and "first figures" not in text


def test_the_memory_sampler_waits_longer_when_a_reading_is_costly():
    from benchmarks.measure import SAMPLE_SECONDS, SAMPLER_SHARE, sample_pause
    assert sample_pause(0.0) == sample_pause(0.001) == SAMPLE_SECONDS
    assert sample_pause(0.03) == pytest.approx(0.03 / SAMPLER_SHARE)  # a 100k build's reading: 0.6 s apart
    assert 0.03 / sample_pause(0.03) <= SAMPLER_SHARE


def test_phases_times_each_phase_of_a_cold_build(make_vault, tmp_path, capsys):
    from benchmarks import phases
    content = make_vault({"a.md": "# A\n\n[[B]]\n", "b.md": "# B\n\n[[A]]\n"})
    for _ in range(2):  # the second run replaces the first site: a cold build again, not "nothing changed"
        assert phases.main(["--content", str(content), "--out", str(tmp_path / "site")]) == 0
        printed = capsys.readouterr().out
        assert [line.split()[0] for line in printed.splitlines()[1:]] == [
            "start", "Parsing", "Linking", "Linking", "Rendering", "Rendering", "total"]
    assert (tmp_path / "site" / "a.html").is_file()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(Exception, match="not made by kbwiki"):
        phases.main(["--content", str(content), "--out", str(tmp_path / "mine")])
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
