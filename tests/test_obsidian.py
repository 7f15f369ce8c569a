"""Obsidian vaults: link resolution as Obsidian resolves it, Obsidian Flavored Markdown, embeds and attachments.

The real vault is Obsidian's own help (../shared/corpora/obsidian-help-en), built once for this module.
"""

from __future__ import annotations

import re

import pytest

from generator.config import Config
from generator.parse.content import Page
from generator.parse.links import LinkRef
from generator.wiki.resolve import Resolver
from generator.parse.markdown import make_markdown, render_body
from generator.build.pipeline import build_site
from generator.parse.page import parse_source
from generator.parse.sources import SourceFile
from tests.conftest import CORPORA, require_corpus
from tests.helpers import build, output
from tests.sitecheck import broken_refs

HELP = CORPORA / "obsidian-help-en"

# What the help vault copy genuinely lacks or gets wrong: the demo note "Example" (Internal links.md shows link
# syntax with it), two media files the corpus left out for size, and two aliases that two notes each claim.
GENUINE_FAULTS = sorted([  # all warnings: the site is right, the vault has red links and a shared alias
    ("Bases/Layouts/Map view.md", "missing-attachment", "bases-map-places.png"),
    ("Extending Obsidian/Obsidian CLI.md", "missing-attachment", "obsidian-cli.mp4"),
    *[("Linking notes and files/Internal links.md", "broken-link", "Example")] * 6,
    ("Obsidian Sync/Local and remote vaults.md", "duplicate-alias", "local vault"),
    ("Obsidian Sync/Switch to Obsidian Sync.md", "duplicate-alias", "Obsidian Sync/Obsidian Sync and third-party services"),
])
_SUBJECT = re.compile(r"\[\[([^\]#|]+)|\(([^)#]+?)(?:\.md)?[#)]|'([^']+)'")


@pytest.fixture(scope="module")
def help_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("help") / "site"
    return build(require_corpus(HELP), out), out


def _resolved(site, src_path: str, target: str) -> str:
    """The source path a link in `src_path` to `target` went to (the first such link)."""
    wiki = site.wiki
    entry = wiki.entries[wiki.by_src[src_path]]
    for link in entry.links:
        if link.ref.target == target:
            return wiki.entries[link.slug].page.src_path if link.slug else ""
    raise AssertionError(f"no link to {target!r} in {src_path}")


def test_help_vault_builds_without_errors_and_warns_of_its_genuine_faults(help_site):
    site, _ = help_site
    assert [d for d in site.diagnostics if d.level == "error"] == []
    faults = sorted((d.src_path, d.code, next(g for g in _SUBJECT.search(d.message).groups() if g))
                    for d in site.diagnostics if d.code in {"missing-attachment", "broken-link", "duplicate-alias"})
    assert faults == GENUINE_FAULTS


@pytest.mark.parametrize("src_path, target, expected", [
    # the linking note's own folder wins among notes of one name
    ("Obsidian Sync/Headless Sync.md", "Security and privacy", "Obsidian Sync/Security and privacy.md"),
    ("Obsidian Publish/Introduction to Obsidian Publish.md", "Security and privacy", "Obsidian Publish/Security and privacy.md"),
    # [[Folder/Note]]: a path from the vault root
    ("Editing and formatting/Properties.md", "Plugins/Templates", "Plugins/Templates.md"),
    ("Obsidian Sync/Collaborate on a shared vault.md", "Obsidian Sync/Security and privacy", "Obsidian Sync/Security and privacy.md"),
    # `\|` inside a table cell
    ("Editing and formatting/Properties.md", "Editing and formatting/Tags", "Editing and formatting/Tags.md"),
    # a note in another folder, by file name
    ("Bases/Views.md", "Tags", "Editing and formatting/Tags.md"),
    ("Linking notes and files/Aliases.md", "Internal links", "Linking notes and files/Internal links.md"),
])
def test_help_vault_links_resolve_as_obsidian_does(help_site, src_path, target, expected):
    site, _ = help_site
    assert _resolved(site, src_path, target) == expected


def test_help_vault_heading_block_and_same_page_links(help_site):
    site, _ = help_site
    aliases = output(site, "aliases.html")
    assert 'href="links.html#%5Ecallout-internal-links-link-text"' in aliases  # [[Internal links#^callout-…]]
    assert 'id="^callout-internal-links-link-text"' in output(site, "links.html")
    links = output(site, "links.html")
    assert re.search(r'<a class="wikilink" href="#preview-a-linked-file">', links)  # [[#Preview a linked file]]
    syntax = output(site, "obsidian-flavored-markdown.html")
    assert '<a class="wikilink" href="syntax.html#comments">Comments</a>' in syntax  # [[Basic formatting syntax#Comments\|Comments]]


def test_help_vault_embeds_images_and_notes(help_site):
    site, out = help_site
    embeds = output(site, "embeds.html")
    assert '<img class="embed-file embed-outline" src="files/Attachments/Engelbart.jpg" alt="" width="100" loading="lazy">' in embeds
    assert (out / "files/Attachments/Engelbart.jpg").read_bytes() == (HELP / "Attachments/Engelbart.jpg").read_bytes()
    assert '<audio class="embed-file" controls src="files/Attachments/audio/' in embeds
    # ![[Search#Embed search results in a note]]: that section of the Search note, inline
    section = embeds.split('Search › Embed search results in a note</a></p>', 1)[1].split("</div>", 1)[0]
    assert "To embed search results in a note" in section and "<h2" in section
    # ![[Internal links#^b15695]]: one block of another note
    assert "Learn how to link to notes, attachments, and other files" in embeds


def test_help_vault_every_link_and_image_resolves_on_disk(help_site):
    _, out = help_site
    assert broken_refs(out) == []


def test_only_referenced_attachments_are_copied(help_site):
    site, out = help_site
    assert not (out / "files" / "publish.css").exists() and not (out / "files" / "site-options.json").exists()
    assert len(site.wiki.attachments) == len(list((out / "files").rglob("*.*")))


def test_permalink_slash_is_the_home_page(help_site):
    site, _ = help_site
    assert site.wiki.entries[site.wiki.home_slug].page.src_path == "Home.md"
    assert "list-cards" in output(site, "index.html").split("<article", 1)[1].split(">", 1)[0]  # cssclasses


# --- link resolution, table-driven -------------------------------------------------------------------------

def _page(src_path: str, title: str = "", aliases: tuple[str, ...] = ()) -> Page:
    stem = src_path.rsplit("/", 1)[-1][:-3]
    return Page(src_path=src_path, title=title or stem, type="page", summary="", body="", aliases=aliases)


VAULT = [_page("Note.md"), _page("a/Note.md"), _page("zzzz/deep/Other.md"), _page("b/Other.md"), _page("a/b/Other.md"),
         _page("x/Titled.md", title="Shown Title"), _page("Shown Title Stem.md"), _page("c/Solo.md")]


@pytest.mark.parametrize("target, from_path, expected, ambiguous", [
    ("Note", "a/b/Other.md", "Note.md", False),            # an exact vault path wins, even over the own folder
    ("a/Note", "Note.md", "a/Note.md", False),             # [[Folder/Note]]
    ("Note.md", "c/Solo.md", "Note.md", False),            # [[Note.md]]
    ("Other", "b/Other.md", "b/Other.md", False),          # own folder
    ("Other", "zzzz/deep/Other.md", "zzzz/deep/Other.md", False),
    ("Other", "c/Solo.md", "b/Other.md", True),            # else the shortest path, and reported
    ("deep/Other", "Note.md", "zzzz/deep/Other.md", False),  # a path ending
    ("solo", "Note.md", "c/Solo.md", False),               # case-insensitive file name
    ("Shown Title", "Note.md", "x/Titled.md", False),      # titles when no file has that name
])
def test_resolver_follows_obsidian(target, from_path, expected, ambiguous):
    found = Resolver(VAULT, {}).resolve(LinkRef(target), from_path)
    assert (found.src_path, found.ambiguous) == (expected, ambiguous)


def test_resolver_finds_attachments_by_name_and_relative_path():
    resolver = Resolver(VAULT, {}, ["Attachments/img one.png", "a/img one.png", "docs/file.pdf"])
    assert resolver.resolve(LinkRef("img one.png", syntax="embed"), "a/Note.md").src_path == "a/img one.png"
    assert resolver.resolve(LinkRef("img one.png", syntax="embed"), "Note.md").src_path == "a/img one.png"  # shortest
    image = resolver.resolve(LinkRef("../Attachments/img one.png", syntax="image", base="a"), "a/Note.md")
    assert (image.src_path, image.attachment) == ("Attachments/img one.png", True)
    assert resolver.resolve(LinkRef("file.pdf"), "Note.md").src_path == "docs/file.pdf"


# --- Obsidian Flavored Markdown ------------------------------------------------------------------------------

def test_obsidian_syntax_renders(make_vault):
    content = make_vault({
        "Note.md": """
            ---
            cssclasses: [wide, "bad class!"]
            aliases: Other name
            ---
            Text with ==marked== words and %%a hidden [[Nowhere]]%% comment and #topic/sub tag.

            %%
            A block comment with [[Gone]].
            %%

            > [!warning]- Careful **now**
            > Folded body.

            > [!tip] Second
            > Apart from the first.

            A paragraph to quote. ^para1

            ## Heading #notatag

            `#code` and [link](https://example.org/#frag) and C#.
            """,
    })
    site = build(content)
    html = output(site, "note.html")
    body = html.split('<div class="page-body">', 1)[1].split("</article>", 1)[0]
    assert "<mark>marked</mark>" in body
    assert "hidden" not in body and "block comment" not in body
    assert not [d for d in site.diagnostics if d.code == "broken-link"]  # links inside comments do not count
    assert '<details class="callout callout-warning" data-callout="warning">' in html
    assert '<summary class="callout-title">Careful <strong>now</strong></summary>' in html
    assert '<div class="callout callout-tip" data-callout="tip">' in html  # a second callout, not merged
    assert '<p id="^para1">A paragraph to quote.</p>' in html
    assert '<a class="tag" href="tags/topic-sub.html">#topic/sub</a>' in html
    assert site.wiki.entries["note"].page.tags == ("topic/sub",)
    assert 'class="page page-page wide bad-class"' in html
    assert site.wiki.entries["note"].page.aliases == ("Other name",)


def test_markdown_links_with_spaces_and_fragments(make_vault):
    content = make_vault({
        "dir/Three laws.md": "# Three laws\n\n## First law\n\nText.\n",
        "Index.md": "[a](dir/Three%20laws.md#First%20law) and [[Three laws#First law|b]]\n",
    })
    site = build(content)
    page = output(site, site.wiki.entries[site.wiki.by_src["Index.md"]].out_path)
    assert page.count('href="dir/three-laws.html#first-law"') == 2


def test_unpublished_and_draft_pages_are_left_out(make_vault):
    content = make_vault({
        "a.md": "Links to [[Secret]] and [[Draft]].\n",
        "Secret.md": "---\npublish: false\n---\nHidden.\n",
        "Draft.md": "---\ndraft: true\n---\nNot yet.\n",
    })
    site = build(content)
    assert sorted(e.page.src_path for e in site.wiki.entries.values()) == ["a.md"]
    assert sorted(w.target for w in site.wiki.wanted) == ["Draft", "Secret"]
    assert output(site, "a.html").count("wikilink missing") == 2


def test_embeds_sections_blocks_media_and_recursion(make_vault):
    content = make_vault({
        "A.md": "Intro of A.\n\n![[B]]\n\n![[B#Part two]]\n\n![[B#^blk]]\n\n![[pic.png|300x200]] ![[song.mp3]] ![[clip.mp4]] ![[doc.pdf]]\n\n![[gone.png]]\n",
        "B.md": "B starts.\n\nA block here. ^blk\n\n## Part one\n\nOne.\n\n## Part two\n\nTwo.\n\n![[A]]\n",
        "media/pic.png": b"\x89PNG\r\n\x1a\n",
        "media/song.mp3": b"ID3",
        "media/clip.mp4": b"\x00\x00\x00\x18ftyp",
        "doc.pdf": b"%PDF-1.4",
        "unused.png": b"\x89PNG",
    })
    site = build(content)
    html = output(site, "a.html")
    assert '<div class="embed embed-note"><p class="embed-title"><a class="wikilink" href="b.html">B</a></p>' in html
    assert "B starts." in html
    part = html.split('href="b.html#part-two">B › Part two</a></p>', 1)[1].split("</div>", 1)[0]
    assert "Two." in part and "One." not in part
    block = html.split('href="b.html#%5Eblk">B › blk</a></p>', 1)[1].split("</div>", 1)[0]
    assert block.strip() == '<p id="^blk">A block here.</p>'
    # B embeds A again: the cycle stops with a link
    body = html.split('<div class="page-body">', 1)[1]
    assert body.count("Intro of A.") == 1 and '<a class="wikilink" href="a.html">A</a>' in body
    assert '<img class="embed-file" src="files/media/pic.png" alt="" width="300" height="200" loading="lazy">' in html
    assert '<audio class="embed-file" controls src="files/media/song.mp3">' in html
    assert '<video class="embed-file" controls src="files/media/clip.mp4">' in html
    assert '<a class="embed-file" href="files/doc.pdf">doc.pdf</a>' in html
    assert '<span class="embed-missing" title="File not found: gone.png">gone.png</span>' in html
    assert [(d.code, d.level) for d in site.diagnostics if d.code.startswith("missing")] == [("missing-attachment", "warning")]
    copied = sorted(o.out_path for o in site.outputs if o.out_path.startswith("files/"))
    assert copied == ["files/doc.pdf", "files/media/clip.mp4", "files/media/pic.png", "files/media/song.mp3"]


def test_markdown_images_are_copied_and_linked(make_vault, tmp_path):
    content = make_vault({
        "notes/a.md": "![a diagram](../img/a%20b.png) and ![web](https://example.org/x.png)\n",
        "img/a b.png": b"\x89PNG",
    })
    out = tmp_path / "out"
    site = build(content, out)
    html = output(site, "notes/a.html")
    assert '<img class="embed-file" src="../files/img/a%20b.png" alt="a diagram" loading="lazy">' in html
    assert 'src="https://example.org/x.png"' in html
    assert broken_refs(out) == []


def test_markdown_links_to_files_are_copied(make_vault, tmp_path):
    content = make_vault({
        "a.md": "[the paper](docs/The%20Paper.pdf), [gone](docs/gone.pdf) and [site page](other.html)\n",
        "docs/The Paper.pdf": b"%PDF-1.4",
    })
    site = build(content, tmp_path / "out")
    html = output(site, "a.html")
    assert '<a class="wikilink" href="files/docs/The%20Paper.pdf">the paper</a>' in html
    assert [(d.code, d.line, d.level) for d in site.diagnostics if d.code == "missing-attachment"] == [("missing-attachment", 1, "warning")]
    assert '<a href="other.html">site page</a>' in html
    assert ('<a class="wikilink missing" href="special/wanted.html#missing-docs-gone-pdf" title="File not found: docs/gone.pdf">'
            'gone</a>') in html
    wanted = output(site, "special/wanted.html")
    assert '<li id="missing-docs-gone-pdf"><strong class="missing"><code>docs/gone.pdf</code></strong>' in wanted
    assert "gone.pdf" not in output(site, "graph.json")  # graph.json lists wanted pages, not files


@pytest.mark.parametrize("body, tags", [
    ("a #tag, #Nested/deep and (#paren)", ("tag", "Nested/deep", "paren")),
    ("# Heading #no\n## Sub #no", ()),
    ("`#code` ```x``` [l](http://x.org/#frag) [[Note#Heading]] https://x.org/#y C# issue #123", ()),
    ("```\n#fenced\n```\n%% #hidden %%", ()),
    ("colour #1a1a2e or #0f0, but #y2024 and #fff", ("y2024", "fff")),
    ("a *#em* tag and **#strong/one**", ("em", "strong/one")),  # emphasis around a tag: still a tag
    ("x\n#closing #line", ("closing", "line")),  # `#word` at a line's start is a tag, as in Obsidian: no heading
    ("a #x_2_ b and #x__y__", ("x_2_", "x__y__")),
])
def test_inline_tags(body, tags):
    """A page's inline tags are the tag links its rendered body holds: never a link to a tag page that is not made."""
    page = parse_source(SourceFile("p.md", f"---\ntags: [declared]\n---\n{body}\n".encode()), Config())[0].page
    assert page.tags == ("declared", *tags)


@pytest.mark.parametrize("body, html", [
    ("#tag1 #tag2", '<p><a class="wikilink" href="kbref:t:tag1#">#tag1</a> <a class="wikilink" href="kbref:t:tag2#">#tag2</a></p>'),
    ("#5 bolts", "<p>#5 bolts</p>"),
    ("####### seven", "<p>####### seven</p>"),
    ("## Two ##", '<h2 id="two">Two'),
    ("text\n# Heading\nmore", '<h1 id="heading">Heading'),
])
def test_a_heading_needs_a_space_after_its_hashes(body, html):
    """As in Obsidian and CommonMark; Python-Markdown alone makes `#tag1 #tag2` a heading."""
    assert html in render_body(make_markdown(), body).html


def test_a_page_is_rendered_again_when_what_it_embeds_changes(make_vault):
    content = make_vault({"A.md": "![[B]]\n", "B.md": "First text.\n", "C.md": "Plain.\n"})
    first = build(content)
    (content / "B.md").write_text("Second text.\n", encoding="utf-8")
    second = build_site(Config(content_dir=content, out_dir=content.parent / "site"), previous_keys=first.keys)
    assert "a.html" not in second.reused and "c.html" in second.reused
    assert "Second text." in output(second, "a.html")
