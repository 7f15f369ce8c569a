"""The build state (state.py): saved and loaded whole, entries decoded only when asked for, never trusted blindly."""

from __future__ import annotations

import pickle

import pytest

from generator.build import state as st
from tests.conftest import DEMO
from tests.helpers import build


def _state(site):
    wiki = site.wiki
    return st.BuildState(theme="t", fingerprint="f", digests={e.page.src_path: "d" for e in wiki.entries.values()},
                         attachments={}, wiki=wiki, diagnostics=list(site.diagnostics), parse_problems={},
                         files=sorted(o.out_path for o in site.outputs), keys=dict(site.keys), search_types=["concept"],
                         search_rows={slug: f'["{slug}"]'.encode() for slug in wiki.entries}, embedded=set())


def test_a_saved_state_loads_back_with_entries_decoded_on_demand(tmp_path):
    site = build(DEMO)
    path = tmp_path / "state"
    assert st.save_state(path, _state(site)) == ""
    loaded = st.load_state(path)
    entries = loaded.wiki.entries
    assert isinstance(entries, st.StoredEntries) and list(entries) == list(site.wiki.entries)
    assert not entries._decoded  # nothing decoded yet
    slug = next(iter(site.wiki.entries))
    entry = entries[slug]
    assert list(entries._decoded) == [slug]
    original = site.wiki.entries[slug]
    assert entry.page.title == original.page.title and entry.links == original.links
    assert entry.parsed.body.headings == original.parsed.body.headings
    assert entry.page.body == "" and entry.parsed.body.text == ""  # the state keeps no page text
    assert loaded.keys == site.keys and loaded.diagnostics == list(site.diagnostics)


def test_replacing_entries_keeps_the_order_and_the_rest_undecoded(tmp_path):
    site = build(DEMO)
    path = tmp_path / "state"
    st.save_state(path, _state(site))
    entries = st.load_state(path).wiki.entries
    slugs = list(entries)
    new = site.wiki.entries[slugs[3]]
    replaced = st.with_entries(entries, {slugs[3]: new})
    assert list(replaced) == slugs and replaced[slugs[3]] is new
    assert set(replaced._decoded) == {slugs[3]}
    assert pickle.loads(replaced.blob(slugs[3], keep_html=False)).page.title == new.page.title


def test_a_state_of_another_version_or_schema_or_damaged_is_ignored(tmp_path):
    site = build(DEMO)
    path = tmp_path / "state"
    st.save_state(path, _state(site))
    head = pickle.loads((path / st.HEAD).read_bytes())
    for change in ({"version": "0.0.0"}, {"schema": st.SCHEMA + 1}):
        (path / st.HEAD).write_bytes(pickle.dumps({**head, **change}))
        assert st.load_state(path) is None
    (path / st.HEAD).write_bytes(pickle.dumps(head))
    assert st.load_state(path) is not None
    graph = path / head["parts"]["graph"][0]
    whole = graph.read_bytes()
    graph.write_bytes(whole[: len(whole) // 2])  # cut short
    assert st.load_state(path) is None
    graph.unlink()  # gone
    assert st.load_state(path) is None
    (path / st.HEAD).write_bytes(b"\x80\x05 damaged")
    assert st.load_state(path) is None
    assert st.load_state(tmp_path / "missing") is None


def test_a_state_that_cannot_be_written_is_a_note_not_an_error(tmp_path):
    site = build(DEMO)
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    problem = st.save_state(blocked / "state", _state(site))
    assert "not saved" in problem


def test_each_output_folder_has_its_own_state(tmp_path):
    assert st.state_path(tmp_path, tmp_path / "a") != st.state_path(tmp_path, tmp_path / "b")
    assert st.state_path(tmp_path, tmp_path / "a") == st.state_path(tmp_path, tmp_path / "x" / ".." / "a")


def test_a_part_the_state_still_holds_is_not_written_again(tmp_path):
    site = build(DEMO)
    path = tmp_path / "state"
    st.save_state(path, _state(site))
    loaded = st.load_state(path)
    parts = pickle.loads((path / st.HEAD).read_bytes())["parts"]
    loaded.diagnostics = []  # what an edit changes: the fields; the graph, related lists, resolver stay the same objects
    assert st.save_state(path, loaded) == ""
    again = pickle.loads((path / st.HEAD).read_bytes())["parts"]
    assert {name for name in parts if again[name] == parts[name]} == set(st.KEPT_PARTS) | set(st.DELTA_PARTS) | {"memo"}
    assert sorted(p.name for p in path.iterdir()) == sorted([st.HEAD, *(f for files in again.values() for f in files)])  # older parts removed
    reloaded = st.load_state(path)
    assert reloaded.diagnostics == [] and list(reloaded.wiki.related) == list(site.wiki.related)
    slug = next(s for s in site.wiki.related if site.wiki.related[s])
    assert reloaded.wiki.related[slug] == site.wiki.related[slug]
    # the memo (what is derived from the wiki's shape) is written again once it holds another object
    assert reloaded.wiki.memo and st.save_state(path, reloaded) == ""
    assert pickle.loads((path / st.HEAD).read_bytes())["parts"]["memo"] == again["memo"]
    reloaded.wiki.memo["types"] = dict(reloaded.wiki.memo.get("types", {}))
    assert st.save_state(path, reloaded) == ""
    assert pickle.loads((path / st.HEAD).read_bytes())["parts"]["memo"] != again["memo"]
    assert st.load_state(path).wiki.memo.keys() == reloaded.wiki.memo.keys()


def test_an_edit_saves_the_values_it_changed_beside_the_whole_and_many_changes_write_the_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "DELTA_MIN", 1)  # the demo's ~30 pages: deltas of one value, more is the whole
    site = build(DEMO)
    path = tmp_path / "state"
    st.save_state(path, _state(site))
    first = pickle.loads((path / st.HEAD).read_bytes())["parts"]
    loaded = st.load_state(path)
    slugs = list(loaded.wiki.entries)
    edited = slugs[len(slugs) // 2]
    loaded.search_rows = {**loaded.search_rows, edited: b'["edited row"]'}
    loaded.digests = {**loaded.digests, loaded.wiki.entries[edited].page.src_path: "new digest"}
    loaded.keys = {**loaded.keys, "extra.html": "a key"}  # a new key: the whole is written again
    assert st.save_state(path, loaded) == ""
    second = pickle.loads((path / st.HEAD).read_bytes())["parts"]
    for name in ("search_rows", "digests"):
        assert second[name][0] == first[name][0] and len(second[name]) == 2  # the whole kept, a delta beside it
        delta = pickle.loads((path / second[name][1]).read_bytes())
        assert len(delta) == 1
    assert len(second["keys"]) == 1 and second["keys"] != first["keys"]
    again = st.load_state(path)
    assert list(again.search_rows) == list(site.wiki.entries) and again.search_rows[edited] == b'["edited row"]'
    assert again.digests[again.wiki.entries[edited].page.src_path] == "new digest"
    assert again.keys["extra.html"] == "a key" and list(again.keys)[:-1] == list(loaded.keys)[:-1]
    again.search_rows = {slug: bytes(b"[]") for slug in again.search_rows}  # every value: the whole again
    assert st.save_state(path, again) == ""
    third = pickle.loads((path / st.HEAD).read_bytes())["parts"]
    assert len(third["search_rows"]) == 1 and third["search_rows"][0] != first["search_rows"][0]
    assert set(st.load_state(path).search_rows.values()) == {b"[]"}
    assert sorted(p.name for p in path.iterdir()) == sorted([st.HEAD, *(f for files in third.values() for f in files)])


def test_suggestions_made_are_kept_with_the_resolver_and_need_no_index(tmp_path):
    site = build(DEMO)
    suggester = site.wiki.resolver.suggester()
    suggester.learn({"Some Missing Page": ("A Title",)})
    copy = pickle.loads(pickle.dumps(site.wiki.resolver)).suggester()
    assert copy.known(["some missing page", "other"]) == {"some missing page": ("A Title",)}
    assert copy._index is None


def test_diagnostics_pickle_as_text_and_checked_shares_their_groups():
    import dataclasses
    import json
    from generator import diagnostics as diag
    found = [diag.warning("a.md", "orphan", "m", 1, 2, "h", "s"), diag.error("b.md", "page-failed", 'x "q" ü'),
             diag.warning("b.md", "broken-link", "y", 3), diag.warning("c.md", "dead-end", "z")]
    assert [f.name for f in dataclasses.fields(diag.Diagnostic)] == ["src_path", "level", "code", "message", "line",
                                                                     "column", "hint", "subject"]  # as_row's order
    assert all(diag.Diagnostic(*d.as_row()) == d for d in found)
    table = diag.DiagnosticTable(found)
    checked = table.sharing([found[0], found[2], found[3]])  # b.md less its rendering problem
    assert list(checked) == [found[0], found[2], found[3]] and (table.errors, checked.errors) == (1, 0)
    assert checked._groups["a.md"] is table._groups["a.md"] and checked._groups["b.md"] is not table._groups["b.md"]
    again, again_checked = pickle.loads(pickle.dumps((table, checked)))
    assert again == found and again_checked == checked and again[:2] == found[:2] and again[-1] == found[-1]
    assert again.json() == json.dumps([d.as_row() for d in found], separators=(",", ":"))  # the manifest's form
    assert list(diag.DiagnosticRows.read(diag.DiagnosticRows.encode(again))) == found
    # a shared group pickles once: the pair takes little more than the table alone
    assert len(pickle.dumps((table, checked))) < len(pickle.dumps(table)) + len(pickle.dumps(diag.DiagnosticTable([found[1]])))
    with pytest.raises(ValueError):
        diag.DiagnosticTable([found[1], found[0], found[2]])  # not sorted by file


def test_an_edit_that_changes_no_finding_keeps_the_table_its_digest_and_its_part(tmp_path):
    import json
    from generator import diagnostics as diag
    found = [diag.warning("a.md", "orphan", "m", 1, 2), diag.warning("b.md", "broken-link", "y", 3),
             diag.warning("c.md", "dead-end", "z")]
    table = pickle.loads(pickle.dumps(diag.DiagnosticTable(found)))  # as loaded: groups as text
    data = table.json().encode("utf-8")
    assert table.digest() == (diag.DiagnosticRows.digest(data), len(data))
    assert table.digest()[0] == diag.DiagnosticRows.digest(json.dumps([d.as_row() for d in found], separators=(",", ":")).encode())
    again = pickle.loads(pickle.dumps(table))
    assert again._digest == table.digest()  # pickled with the table: an edit's manifest names the file unencoded
    assert again.replaced([found[1]], {"b.md"}) is again  # b.md edited, found again as it was
    assert again.replaced([], {"c.md"}, keep=frozenset({"dead-end"})) is again
    moved = again.replaced([diag.warning("b.md", "broken-link", "y", 4)], {"b.md"})  # the line moved: a new table
    assert moved is not again and moved._digest is None and moved.digest() != again.digest()
    assert list(moved) == [found[0], diag.warning("b.md", "broken-link", "y", 4), found[2]]
    assert again.replaced([], {"b.md"}) is not again and len(again.replaced([], {"b.md"})) == 2  # a finding gone
    # in the build state: the part of the diagnostics is not written again while both tables are the ones loaded
    site = build(DEMO)
    path = tmp_path / "state"
    st.save_state(path, _state(site))
    parts = pickle.loads((path / st.HEAD).read_bytes())["parts"]
    loaded = st.load_state(path)
    assert st.save_state(path, loaded) == ""
    assert pickle.loads((path / st.HEAD).read_bytes())["parts"]["diagnostics"] == parts["diagnostics"]
    loaded.checked = loaded.diagnostics.replaced([], {loaded.diagnostics.files()[0]})
    assert st.save_state(path, loaded) == ""
    assert pickle.loads((path / st.HEAD).read_bytes())["parts"]["diagnostics"] != parts["diagnostics"]
    assert st.load_state(path).checked == loaded.checked


def test_what_a_rebuild_brought_is_read_from_the_groups_it_does_not_share():
    from generator import diagnostics as diag
    found = [diag.warning("a.md", "orphan", "m"), diag.warning("b.md", "broken-link", "y", 3), diag.warning("c.md", "dead-end", "z")]
    before = pickle.loads(pickle.dumps(diag.DiagnosticTable(found)))  # every group as text
    moved = diag.warning("b.md", "broken-link", "y", 4)
    now = before.replaced([moved, diag.warning("d.md", "orphan", "n")], {"b.md"})
    assert diag.added(now, before) == [moved, diag.warning("d.md", "orphan", "n")]
    assert before._groups["a.md"].items is None and before._groups["c.md"].items is None  # shared: never decoded
    assert diag.added(now, list(before)) == diag.added(list(now), before) == diag.added(now, before)  # any sequences
    assert diag.added(before, before) == [] and diag.added(now, ()) is now  # after nothing: all of it, not copied
    again = pickle.loads(pickle.dumps(now))
    assert again.json() and now.json() and diag.added(again, now) == []  # nothing shared, the same rows: read as text
    assert all(g.items is None for g in again._groups.values())


def test_a_spool_gives_back_each_value_it_was_given_from_its_file(tmp_path):
    from generator.build.cache import Spool
    spool = Spool(tmp_path)
    values = {f"page-{i}": bytes([i % 256]) * (i * 37 % 5000) for i in range(300)}
    for key, value in values.items():
        spool.add(key, value)
    assert len(spool) == 300 and "page-7" in spool and "page-300" not in spool
    assert all(spool.get(key) == values[key] for key in reversed(list(values)))
    spool.add("late", b"after reading")  # written after a read: flushed again before the next one
    assert spool.get("late") == b"after reading"
    assert not list(tmp_path.iterdir())  # unnamed: nothing left in the folder, even before it is closed
    spool.close()


def test_a_streamed_dict_pickles_as_the_dict_of_its_items_taking_them_one_at_a_time():
    from generator.build.cache import StreamedDict
    taken = []

    def items():
        for i in range(2500):  # more than one of pickle's batches of 1,000
            taken.append(i)
            yield f"k{i}", b"v" * i
    data = pickle.dumps(StreamedDict(items()), protocol=pickle.HIGHEST_PROTOCOL)
    loaded = pickle.loads(data)
    assert type(loaded) is dict and list(loaded) == [f"k{i}" for i in range(2500)]
    assert loaded == {f"k{i}": b"v" * i for i in range(2500)} and len(taken) == 2500


def test_a_cold_build_saves_the_entries_it_spooled_as_the_state_would_make_them(tmp_path):
    """The stored bytes of every page, spooled as the workers render, are what entry_blob() makes of the
    wiki's entries, in the wiki's order."""
    from generator.build.session import run_build
    from generator.config import Config
    config = Config(content_dir=DEMO, out_dir=tmp_path / "site")
    result = run_build(config, cache_dir=tmp_path / "cache")
    loaded = st.load_state(st.state_path(tmp_path / "cache", config.out_dir))
    wiki = result.wiki
    keep = {wiki.by_src[src] for src in loaded.embedded if src in wiki.by_src}
    assert list(loaded.wiki.entries) == list(wiki.entries)
    assert {slug: loaded.wiki.entries._blobs[slug] for slug in wiki.entries} == {
        slug: st.entry_blob(entry, slug in keep) for slug, entry in wiki.entries.items()}
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_file() and p.name.startswith("tmp")]


class _Blob:
    """A picklable value a weak reference can watch."""

    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return isinstance(other, _Blob) and other.n == self.n

    def __hash__(self):
        return hash(self.n)


def test_a_streamed_dict_dumped_without_memo_lets_each_value_go_once_written(tmp_path):
    import weakref

    from generator.build.cache import StreamedDict, dump_pickle, load_pickle
    for memo in (True, False):
        alive = weakref.WeakSet()
        most = [0]

        def items():
            for n in range(200):
                blob = _Blob(n)
                alive.add(blob)
                most[0] = max(most[0], len(alive))
                yield f"page-{n}", blob
                del blob
        dump_pickle(tmp_path / "part.pickle", StreamedDict(items()), memo=memo)
        assert load_pickle(tmp_path / "part.pickle") == {f"page-{n}": _Blob(n) for n in range(200)}
        assert (most[0] <= 3) == (not memo), (memo, most[0])  # with the memo, every value written so far lives on
