"""The build state (state.py): saved and loaded whole, entries decoded only when asked for, never trusted blindly."""

from __future__ import annotations

import pickle

from generator.build import state as st
from tests.conftest import DEMO
from tests.helpers import build


def _state(site):
    wiki = site.wiki
    return st.BuildState(theme="t", fingerprint="f", digests={e.page.src_path: "d" for e in wiki.entries.values()},
                         attachments={}, wiki=wiki, diagnostics=list(site.diagnostics), parse_problems={},
                         files=sorted(o.out_path for o in site.outputs), keys=dict(site.keys), search_types=["concept"],
                         search_rows={}, embedded=set())


def test_a_saved_state_loads_back_with_entries_decoded_on_demand(tmp_path):
    site = build(DEMO)
    path = tmp_path / "state.pickle"
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
    path = tmp_path / "state.pickle"
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
    path = tmp_path / "state.pickle"
    st.save_state(path, _state(site))
    with open(path, "rb") as handle:
        head, rest = pickle.load(handle), handle.read()
    for change in ({"version": "0.0.0"}, {"schema": st.SCHEMA + 1}):
        path.write_bytes(pickle.dumps({**head, **change}) + rest)
        assert st.load_state(path) is None
    path.write_bytes(pickle.dumps(head) + rest[: len(rest) // 2])  # cut short
    assert st.load_state(path) is None
    path.write_bytes(b"\x80\x05 damaged")
    assert st.load_state(path) is None
    assert st.load_state(tmp_path / "missing.pickle") is None


def test_a_state_that_cannot_be_written_is_a_note_not_an_error(tmp_path):
    site = build(DEMO)
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    problem = st.save_state(blocked / "state.pickle", _state(site))
    assert "not saved" in problem


def test_each_output_folder_has_its_own_state(tmp_path):
    assert st.state_path(tmp_path, tmp_path / "a") != st.state_path(tmp_path, tmp_path / "b")
    assert st.state_path(tmp_path, tmp_path / "a") == st.state_path(tmp_path, tmp_path / "x" / ".." / "a")
