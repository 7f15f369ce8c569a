"""Cached and incremental builds give the same bytes as a cold build; nothing changed means nothing written."""

import json
import random
import shutil

import pytest

from generator.build.session import run_build
from generator.config import Config
from tests.conftest import DEMO


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cold(content, tmp_path, name, **settings):
    out = tmp_path / name
    run_build(Config(content_dir=content, out_dir=out, **settings), cache_dir=tmp_path / f"{name}-cache")
    return tree(out)


# Lists cut short and paginated even in the 11-page demo: a page's full backlinks and its listings' pages 2, 3, …
PAGED = {"backlinks_shown": 1, "listing_page_size": 2}


@pytest.fixture
def wiki(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DEMO, content)
    return content


def test_no_change_rebuild_writes_nothing(wiki, tmp_path):
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    first = run_build(config, cache_dir=tmp_path / "cache")
    assert first.written and first.parsed == 11 and first.cached == 0
    inode = (tmp_path / "site" / "index.html").stat().st_ino
    again = run_build(config, cache_dir=tmp_path / "cache")
    assert again.unchanged and not again.written
    assert [d.code for d in again.diagnostics] == [d.code for d in first.diagnostics]
    assert (tmp_path / "site" / "index.html").stat().st_ino == inode


def test_cache_is_used_and_unchanged_pages_are_kept(wiki, tmp_path):
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    page = wiki / "concepts" / "encoder-free-early-fusion.md"
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    result = run_build(config, cache_dir=tmp_path / "cache")
    assert (result.parsed, result.cached) == (1, 10)
    assert result.rendered == 1 and result.kept == 10  # only that page's HTML depends on its body
    assert tree(tmp_path / "site") == cold(wiki, tmp_path, "cold")


def test_after_an_edit_that_adds_a_link_listings_it_leaves_alone_are_kept(wiki, tmp_path):
    config = Config(content_dir=wiki, out_dir=tmp_path / "site", **PAGED)
    run_build(config, cache_dir=tmp_path / "cache")
    site = tmp_path / "site"
    inodes = {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*.html")}
    page = wiki / "concepts" / "context-window-smart-zone.md"  # links to the benchmarks page, which lists the lab
    page.write_text(page.read_text() + "\nSee also [[Interactivity Benchmarks]].\n")
    result = run_build(config, cache_dir=tmp_path / "cache")
    assert not result.unchanged and result.parsed == 1  # another link: a full build, through the cache and keys
    assert tree(site) == cold(wiki, tmp_path, "cold", **PAGED)
    kept = {p for p, inode in inodes.items() if (site / p).is_file() and (site / p).stat().st_ino == inode}
    listings = {p for p in inodes if p.startswith(("links-here/", "tags/", "types/"))}
    assert "links-here/concepts/interactivity-benchmarks.html" in inodes.keys() - kept  # one more page links there
    assert kept & listings and listings - kept  # the others' lists are left as they were: not rendered again
    assert result.rendered + result.kept == result.pages  # content pages only: listings are not counted


def test_a_damaged_cache_is_reported_and_the_build_goes_on(wiki, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "parse.sqlite").write_bytes(b"this is not a database" * 100)
    result = run_build(Config(content_dir=wiki, out_dir=tmp_path / "site"), cache_dir=cache)
    assert result.written and result.notes and "unusable" in result.notes[0]


EDITS = ["append", "retitle", "add_link", "remove_links", "new_page", "delete_page", "new_tag", "break_yaml"]


def edit(content, rng, step):
    pages = sorted(content.rglob("*.md"))
    page = rng.choice(pages)
    text = page.read_text()
    kind = rng.choice(EDITS)
    if kind == "append":
        page.write_text(text + f"\nEdit {step}.\n")
    elif kind == "retitle" and "\ntitle:" in text:
        page.write_text(text.replace("\ntitle: ", f"\ntitle: Renamed {step} ", 1))
    elif kind == "add_link":
        other = rng.choice(pages).stem.replace("-", " ")
        page.write_text(text + f"\nSee [[{other}]] and [[Missing {step}]].\n")
    elif kind == "remove_links":
        page.write_text(text.replace("[[", "(").replace("]]", ")"))
    elif kind == "new_page":
        (content / "concepts" / f"new-{step}.md").write_text(f"---\ntitle: New {step}\ntags: [t{step % 3}]\n---\nLinks to [[{pages[0].stem}]].\n")
    elif kind == "delete_page" and len(pages) > 3:
        page.unlink()
    elif kind == "new_tag":
        page.write_text(text.replace("tags: [", f"tags: [extra-{step % 2}, ", 1))
    elif kind == "break_yaml":
        page.write_text(text.replace("title:", "title: [", 1))
    return kind


@pytest.mark.parametrize("seed, settings", [(1, {}), (2, {}), (3, {}), (7, PAGED)])
def test_any_sequence_of_incremental_builds_equals_a_cold_build(wiki, tmp_path, seed, settings):
    rng = random.Random(seed)
    config = Config(content_dir=wiki, out_dir=tmp_path / "site", **settings)
    run_build(config, cache_dir=tmp_path / "cache")
    for step in range(6):
        kind = edit(wiki, rng, step)
        run_build(config, cache_dir=tmp_path / "cache")
        assert tree(tmp_path / "site") == cold(wiki, tmp_path, f"cold-{step}", **settings), f"after step {step} ({kind})"


def test_a_session_rebuilds_body_edits_alone_and_equals_a_cold_build(wiki, tmp_path):
    from generator.build.session import Session
    session = Session(Config(content_dir=wiki, out_dir=tmp_path / "site"), cache_dir=tmp_path / "cache")
    session.build()
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text().replace("## Connections", "Interaction Models are named here.\n\n## Connections"))
    result = session.build({"concepts/full-duplex-interaction.md"})
    assert (result.parsed, result.rendered) == (1, 1)  # the fast path: nothing else parsed or rendered
    assert tree(tmp_path / "site") == cold(wiki, tmp_path, "cold")


def snapshot(content):
    return {p.relative_to(content).as_posix(): p.read_bytes() for p in content.rglob("*.md")}


def body_edit(content, rng, step):
    """An edit inside a page's text that keeps its shape (title, links, headings, summary)."""
    page = rng.choice(sorted(content.rglob("*.md")))
    lines = page.read_text().split("\n")
    lines.insert(rng.randrange(len(lines) // 2, len(lines)),
                 rng.choice(["", f"More text {step}.", "Interaction Models appear here.", f"- item {step}"]))
    page.write_text("\n".join(lines))
    return "body"


@pytest.mark.parametrize("seed, settings", [(4, {}), (5, {}), (6, {}), (8, PAGED)])
def test_any_sequence_of_session_rebuilds_equals_a_cold_build(wiki, tmp_path, seed, settings):
    from generator.build.session import Session
    rng = random.Random(seed)
    session = Session(Config(content_dir=wiki, out_dir=tmp_path / "site", **settings), cache_dir=tmp_path / "cache")
    session.build()
    for step in range(6):
        before = snapshot(wiki)
        kind = edit(wiki, rng, step) if step % 2 else body_edit(wiki, rng, step)
        after = snapshot(wiki)
        session.build({p for p in before.keys() | after.keys() if before.get(p) != after.get(p)})
        assert tree(tmp_path / "site") == cold(wiki, tmp_path, f"cold-{step}", **settings), f"after step {step} ({kind})"


def test_a_session_edit_of_an_embedded_page_rebuilds_the_page_that_embeds_it(make_vault, tmp_path):
    from generator.build.session import Session
    content = make_vault({"a.md": "# A\n\n![[B]]\n", "b.md": "# B\n\nOld text.\n"})
    session = Session(Config(content_dir=content, out_dir=tmp_path / "site"), cache_dir=tmp_path / "cache")
    session.build()
    (content / "b.md").write_text("# B\n\nNew text.\n")
    session.build({"b.md"})
    assert "New text." in (tmp_path / "site" / "a.html").read_text()
    assert tree(tmp_path / "site") == cold(content, tmp_path, "cold")


def test_one_process_and_every_core_give_the_same_site(make_vault, tmp_path, monkeypatch):
    pages = {f"concepts/page-{i}.md": f"---\ntitle: Page {i}\ntags: [t{i % 7}]\n---\nSee [[Page {(i * 7) % 300}]] "
             f"and [[Page {(i + 1) % 300}]].\n\n## Part\n\nText {i}.\n" for i in range(300)}
    content = make_vault(pages)
    monkeypatch.setenv("KBWIKI_JOBS", "1")
    run_build(Config(content_dir=content, out_dir=tmp_path / "one"), use_cache=False)
    monkeypatch.setenv("KBWIKI_JOBS", "2")
    from generator.build import pipeline
    monkeypatch.setattr(pipeline, "TAIL_PARALLEL", 0)  # the generated pages on every core too, even for 300 pages
    run_build(Config(content_dir=content, out_dir=tmp_path / "many"), use_cache=False)
    assert tree(tmp_path / "one") == tree(tmp_path / "many")


def test_a_cli_build_after_a_body_edit_starts_from_the_saved_state(wiki, tmp_path):
    from generator.build.state import load_state, state_path
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    saved = state_path(tmp_path / "cache", tmp_path / "site")
    assert load_state(saved) is not None
    (tmp_path / "cache" / "parse.sqlite").unlink()  # the fast path needs no parse cache: it parses the edited page
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text().replace("## Connections", "Interaction Models are named here.\n\n## Connections"))
    result = run_build(config, cache_dir=tmp_path / "cache")
    assert (result.parsed, result.cached, result.rendered) == (1, 10, 1)
    assert not (tmp_path / "cache" / "parse.sqlite").exists()
    assert tree(tmp_path / "site") == cold(wiki, tmp_path, "cold")
    assert [d.as_fields() for d in result.diagnostics] == [d.as_fields() for d in run_build(
        Config(content_dir=wiki, out_dir=tmp_path / "other"), use_cache=False).diagnostics]


@pytest.mark.parametrize("settings", [{}, PAGED])
def test_ten_body_edits_in_a_row_each_render_one_page_and_equal_a_cold_build(wiki, tmp_path, settings):
    config = Config(content_dir=wiki, out_dir=tmp_path / "site", **settings)
    run_build(config, cache_dir=tmp_path / "cache")
    pages = sorted(wiki.rglob("*.md"))
    rng = random.Random(10)
    for step in range(10):
        page = rng.choice(pages)
        page.write_text(page.read_text().rstrip("\n") + f"\n\nEdit {step}: one more sentence.\n")
        result = run_build(config, cache_dir=tmp_path / "cache")  # a new session each time, as the CLI starts
        assert (result.parsed, result.rendered) == (1, 1), f"step {step} ({page.name})"
        assert tree(tmp_path / "site") == cold(wiki, tmp_path, f"cold-{step}", **settings), f"after step {step}"


def test_a_damaged_saved_state_means_a_full_build(wiki, tmp_path):
    from generator.build.state import load_state, state_path
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    saved = state_path(tmp_path / "cache", tmp_path / "site")
    (saved / "head.pickle").write_bytes(b"not a pickle at all")
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text() + "\nMore.\n")
    result = run_build(config, cache_dir=tmp_path / "cache")
    assert result.written and not result.notes
    assert tree(tmp_path / "site") == cold(wiki, tmp_path, "cold")
    assert load_state(saved) is not None  # the full build saved a good one again


def test_a_saved_state_of_another_site_than_the_one_in_the_folder_is_not_used(wiki, tmp_path):
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    older = tmp_path / "older-site"
    shutil.copytree(tmp_path / "site", older)
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text() + "\nFirst edit.\n")
    run_build(config, cache_dir=tmp_path / "cache")  # the saved state now describes this site
    shutil.rmtree(tmp_path / "site")
    shutil.copytree(older, tmp_path / "site")  # someone put the older site back
    page.write_text(page.read_text() + "\nSecond edit.\n")
    run_build(config, cache_dir=tmp_path / "cache")
    assert tree(tmp_path / "site") == cold(wiki, tmp_path, "cold")


def test_serve_writes_a_body_edit_in_place_and_equals_a_cold_build(wiki, tmp_path):
    from generator.build.session import Session
    out = tmp_path / "site"
    session = Session(Config(content_dir=wiki, out_dir=out), cache_dir=tmp_path / "cache", remember=True)
    session.build()
    folder, untouched = out.stat().st_ino, (out / "index.html").stat().st_ino
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text() + "\nA sentence for the served page.\n")
    result = session.build({"concepts/full-duplex-interaction.md"})
    assert (result.parsed, result.rendered) == (1, 1)
    assert out.stat().st_ino == folder and (out / "index.html").stat().st_ino == untouched  # the same folder, files left
    assert "A sentence for the served page." in (out / "concepts" / "full-duplex-interaction.html").read_text()
    assert not (out / ".kbwiki-updating").exists()
    assert tree(out) == cold(wiki, tmp_path, "cold")


def test_serve_knows_a_site_already_up_to_date_without_writing_it_again(wiki, tmp_path):
    from generator.build.session import Session
    out = tmp_path / "site"
    config = Config(content_dir=wiki, out_dir=out)
    run_build(config, cache_dir=tmp_path / "cache")
    before, inodes = tree(out), {p: p.stat().st_ino for p in out.rglob("*")}
    session = Session(config, cache_dir=tmp_path / "cache", remember=True)
    first = session.build()
    own = [p for p in before if str(p).startswith((".kbwiki-site", ".kbwiki-diagnostics-"))]  # the manifest, the diagnostics
    assert len(own) == 2 and (first.unchanged, first.written, first.files) == (True, False, len(before) - 2)
    assert tree(out) == before and {p: p.stat().st_ino for p in out.rglob("*")} == inodes  # not a file rewritten
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text() + "\nAn edit after serve started.\n")
    edit = session.build({"concepts/full-duplex-interaction.md"})
    assert (edit.written, edit.parsed, edit.rendered) == (True, 1, 1)  # in place, from what the first build knew
    assert tree(out) == cold(wiki, tmp_path, "cold")


def test_an_update_in_place_cut_short_is_redone_by_the_next_build(wiki, tmp_path):
    import json
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    out = tmp_path / "site"
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text() + "\nWritten while serve was killed.\n")
    # What a kill leaves: the journal, and a file already replaced (here with bytes of neither version)
    (out / ".kbwiki-updating").write_text(json.dumps(["concepts/full-duplex-interaction.html"]))
    (out / "concepts" / "full-duplex-interaction.html").write_text("half of an update")
    run_build(config, cache_dir=tmp_path / "cache")
    assert tree(out) == cold(wiki, tmp_path, "cold")
    page.write_text(page.read_text().replace("\nWritten while serve was killed.\n", "\n"))  # and back, with a journal again
    (out / ".kbwiki-updating").write_text(json.dumps(["concepts/full-duplex-interaction.html"]))
    (out / "concepts" / "full-duplex-interaction.html").write_text("half of an update")
    run_build(config, cache_dir=tmp_path / "cache")
    assert tree(out) == cold(wiki, tmp_path, "cold-2")


def test_a_changed_attachment_is_copied_again(make_vault, tmp_path):
    import os
    content = make_vault({"a.md": "# A\n\n![[pic.png]]\n", "pic.png": b"\x89PNG first"})
    config = Config(content_dir=content, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    (content / "pic.png").write_bytes(b"\x89PNG other")  # the same size
    stat = (content / "pic.png").stat()
    os.utime(content / "pic.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    result = run_build(config, cache_dir=tmp_path / "cache")
    assert not result.unchanged
    assert (tmp_path / "site" / "files" / "pic.png").read_bytes() == b"\x89PNG other"


def test_a_no_change_build_reads_no_page_whose_stat_it_recorded(wiki, tmp_path, monkeypatch):
    import pickle
    from generator.build.fingerprint import stats_path
    from generator.parse import sources
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    path = stats_path(tmp_path / "cache", wiki)
    schema, recorded_ns, table = pickle.loads(path.read_bytes())
    assert set(table) == {p.relative_to(wiki).as_posix() for p in wiki.rglob("*.md")}
    # as if recorded long after the pages were last written (a test writes them within the racy window)
    path.write_bytes(pickle.dumps((schema, recorded_ns + 10 * sources.RACY_NS, table)))
    read = []
    real = sources.read_source
    monkeypatch.setattr(sources, "read_source", lambda content, src: read.append(src) or real(content, src))
    assert run_build(config, cache_dir=tmp_path / "cache").unchanged and read == []
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text() + "\nMore.\n")
    result = run_build(config, cache_dir=tmp_path / "cache")
    assert read == ["concepts/full-duplex-interaction.md"] and (result.parsed, result.rendered) == (1, 1)
    assert tree(tmp_path / "site") == cold(wiki, tmp_path, "cold")


def test_serve_on_a_site_the_cli_left_up_to_date_starts_from_its_saved_state(wiki, tmp_path, monkeypatch):
    from generator.build import pipeline
    from generator.build.session import Session
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    parsed = []
    real = pipeline.parse_all
    monkeypatch.setattr("generator.build.session.parse_all", lambda *a, **k: parsed.append(1) or real(*a, **k))
    session = Session(config, cache_dir=tmp_path / "cache", remember=True)
    first = session.build()
    assert first.unchanged and parsed == []  # nothing parsed, gathered or rendered: the saved state is the site's
    page = wiki / "concepts" / "full-duplex-interaction.md"
    page.write_text(page.read_text() + "\nMore.\n")
    result = session.build({"concepts/full-duplex-interaction.md"})
    assert (result.parsed, result.rendered) == (1, 1) and parsed == []
    assert tree(tmp_path / "site") == cold(wiki, tmp_path, "cold")


def test_file_diagnostics_are_replaced_in_place_and_the_table_stays_sorted():
    import pickle
    import random
    from generator import diagnostics as diag
    rng = random.Random(3)
    files = ["", "a.md", "b/c.md", "b/d.md", "z.md"]
    codes = ["orphan", "broken-link", "unlinked-mention", "dead-end"]

    def some(n, among=files):
        return [rng.choice([diag.warning, diag.error])(rng.choice(among), rng.choice(codes), f"m{rng.randrange(9)}", rng.randrange(5))
                for _ in range(n)]
    for _ in range(200):
        found = sorted(some(40), key=diag.sort_key)
        replaced = set(rng.sample(files, rng.randrange(3)))
        new = some(rng.randrange(6), sorted(replaced) or files)
        keep = frozenset({"orphan"})
        expected = sorted([d for d in found if d.src_path not in replaced or d.code in keep] + new, key=diag.sort_key)
        table = diag.DiagnosticTable(found)
        if rng.random() < 0.5:
            table = pickle.loads(pickle.dumps(table))  # as a saved state has it: every group as text
        after = table.replaced(new, replaced, keep)
        assert list(after) == expected and len(after) == len(expected)
        assert after.errors == diag.error_count(expected) and after.files() == sorted({d.src_path for d in expected})
        assert json.loads(after.json()) == [list(d.as_row()) for d in expected]
        assert list(table) == found  # the table it came from is as it was


def test_a_changed_lint_setting_shows_in_the_next_build_without_parsing_again(wiki, tmp_path):
    import dataclasses
    from generator.config import LintConfig
    config = Config(content_dir=wiki, out_dir=tmp_path / "site")
    first = run_build(config, cache_dir=tmp_path / "cache")
    code = first.diagnostics[0].code
    quieter = dataclasses.replace(config, lint=LintConfig(ignore=(code,)))
    second = run_build(quieter, cache_dir=tmp_path / "cache")
    assert not second.unchanged and second.parsed == 0  # lint: changed the site's fingerprint, not the parse
    assert not [d for d in second.diagnostics if d.code == code] and len(second.diagnostics) < len(first.diagnostics)
    third = run_build(quieter, cache_dir=tmp_path / "cache")
    assert third.unchanged and not [d for d in third.diagnostics if d.code == code]


def test_cli_body_edits_on_a_wiki_of_several_search_shards_equal_a_cold_build(tmp_path):
    """The saved state's term shards and page numbers carry a CLI build's edit to the same search files."""
    from benchmarks.corpus import generate, write_kbwiki
    content = write_kbwiki(generate(130, seed=9), tmp_path / "content")
    config = Config(content_dir=content, out_dir=tmp_path / "site")
    run_build(config, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "site" / "search").glob("terms-*.js"))) == 3
    rng = random.Random(2)
    for step in range(2):
        before = tree(tmp_path / "site")
        page = rng.choice(sorted(content.rglob("*.md")))
        head, _, body = page.read_text().partition("\n---\n")  # front matter gives the summary: the text may change
        page.write_text(f"{head}\n---\nZebrafish quorum 東京 sentence {step}. {body}")
        result = run_build(config, cache_dir=tmp_path / "cache")
        assert (result.parsed, result.rendered) == (1, 1), f"step {step}: not the fast path"
        after = tree(tmp_path / "site")
        assert after == cold(content, tmp_path, f"cold-{step}"), f"after step {step}"
        changed = {p for p in after if before[p] != after[p] and p.startswith("search/")}
        assert changed and len(changed) < 8  # its docs block, its preview shard, a few term shards


def test_an_edits_wanted_list_is_the_one_grouping_every_reference_again_gives():
    from generator.build.session import _merge_wanted
    from generator.parse.links import normalize
    from generator.wiki.model import WantedRef, group_wanted
    rng = random.Random(11)
    names = ["Ghost", "ghost", "GHOST ", "Other", "Missing Page", "missing page", "x.png", "Y"]
    for _ in range(200):
        refs = [(rng.random() < 0.2, WantedRef(f"s{i % 7}", f"p{i % 7}.md", rng.randint(1, 40), rng.choice(names)))
                for i in range(rng.randint(0, 30))]
        changed = {f"p{i}.md" for i in range(7) if rng.random() < 0.3}
        new = [(rng.random() < 0.2, WantedRef(f"s{i}", f"p{i}.md", rng.randint(1, 40), rng.choice(names)))
               for i in range(7) if f"p{i}.md" in changed for _ in range(rng.randint(0, 3))]
        old = group_wanted(refs)
        merged = _merge_wanted(old, changed, group_wanted(new))
        assert merged == group_wanted([r for r in refs if r[1].src_path not in changed] + new)
        linked = {(f, normalize(r.name)) for f, r in new}
        untouched = [w for w in old if not any(r.src_path in changed for r in w.refs) and (w.file, normalize(w.target)) not in linked]
        assert all(any(m is w for m in merged) for w in untouched)  # kept as they were, not grouped again
