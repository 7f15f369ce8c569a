"""parse/sources: reading only the pages whose stat changed (the stat table), and the racy-file rule."""

import os

from generator.parse.sources import (RACY_NS, SourceFile, attachment_stats, discover, discover_attachments, read_changed_pages,
                                      scan, source_digest, stat_of)


def vault(tmp_path, pages):
    for name, text in pages.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def digest(text):
    return source_digest(SourceFile("x", text.encode()))


def test_without_a_table_every_page_is_read(tmp_path):
    content = vault(tmp_path, {"a.md": "A", "b/c.md": "C"})
    sources, digests, table, problems = read_changed_pages(content, {}, 0)
    assert [s.src_path for s in sources] == ["a.md", "b/c.md"] and not problems
    assert digests == {"a.md": digest("A"), "b/c.md": digest("C")}
    assert table["a.md"] == (stat_of(content, "a.md"), digest("A"))


def test_a_page_whose_stat_is_recorded_and_old_enough_is_not_read(tmp_path):
    content = vault(tmp_path, {"a.md": "A", "b.md": "B"})
    stat = stat_of(content, "a.md")
    known = {"a.md": (stat, "recorded digest")}  # not the file's: shows the file was not read
    sources, digests, table, _ = read_changed_pages(content, known, stat[1] + RACY_NS + 1)
    assert [s.src_path for s in sources] == ["b.md"]
    assert digests["a.md"] == "recorded digest" and table["a.md"] == known["a.md"]


def test_a_page_changed_just_before_its_stat_was_recorded_is_read_again(tmp_path):
    content = vault(tmp_path, {"a.md": "A"})
    stat = stat_of(content, "a.md")
    sources, digests, _, _ = read_changed_pages(content, {"a.md": (stat, "recorded digest")}, stat[1] + RACY_NS - 1)
    assert [s.src_path for s in sources] == ["a.md"] and digests["a.md"] == digest("A")


def test_a_changed_page_is_read_even_with_its_old_times_put_back(tmp_path):
    content = vault(tmp_path, {"a.md": "A"})
    stat = stat_of(content, "a.md")
    (content / "a.md").write_text("Z")  # same size
    os.utime(content / "a.md", ns=(stat[1], stat[1]))  # the modification time put back; the change time moves on
    sources, digests, _, _ = read_changed_pages(content, {"a.md": (stat, digest("A"))}, stat[1] + 10 * RACY_NS)
    assert [s.src_path for s in sources] == ["a.md"] and digests["a.md"] == digest("Z")


def test_a_deleted_page_leaves_the_table(tmp_path):
    content = vault(tmp_path, {"a.md": "A", "b.md": "B"})
    _, _, table, _ = read_changed_pages(content, {}, 0)
    (content / "b.md").unlink()
    _, digests, table, _ = read_changed_pages(content, table, 0)
    assert set(digests) == set(table) == {"a.md"}


def test_one_scan_finds_what_discover_and_the_attachment_walk_found_with_their_stats(tmp_path):
    content = tmp_path / "content"
    (content / "notes" / "deep").mkdir(parents=True)
    (content / ".hidden").mkdir()
    (content / "index.md").write_text("# Home\n")
    (content / "notes" / "a.md").write_text("# A\n")
    (content / "notes" / "deep" / "b.MD").write_text("# B\n")
    (content / "notes" / "picture.png").write_bytes(b"png")
    (content / ".hidden" / "c.md").write_text("# hidden\n")
    (content / ".dotfile.png").write_bytes(b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.md").write_text("# Linked\n")
    (outside / "linked.png").write_bytes(b"png")
    (content / "elsewhere").symlink_to(outside)
    (content / "gone.png").symlink_to(tmp_path / "nowhere.png")
    found = scan(content, stats=True)
    assert found.pages == ["elsewhere/linked.md", "index.md", "notes/a.md", "notes/deep/b.MD"]
    assert found.attachments == ["gone.png", "notes/picture.png"]  # none inside a linked folder, as before
    assert [(d.src_path, d.code) for d in found.problems] == [("gone.png", "broken-symlink")]
    assert found.page_stats == {p: stat_of(content, p) for p in found.pages}
    info = (content / "notes" / "picture.png").stat()
    assert attachment_stats(content, found) == {"gone.png": (-1, -1), "notes/picture.png": (info.st_size, info.st_mtime_ns)}
    assert attachment_stats(content) == attachment_stats(content, found)
    assert discover(content) == (found.pages, found.problems) and discover_attachments(content) == found.attachments
    assert scan(content).page_stats == {}
