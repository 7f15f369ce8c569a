"""Slugs and URLs: slugify(), the output path of every page kind, and relative_url(). Pure.

Three spaces are kept apart by name: a *source path* (`concepts/Foo Bar.md`, relative to the
content folder, POSIX separators), a *slug* (`concepts/foo-bar`, unique per page: the source path
with each segment slugified, see path_slug()), and an *output path* (`concepts/foo-bar.html`,
`tags/ai.html`, relative to the site root). No segment of an output path is longer than
MAX_SEGMENT_BYTES (fit_segment()). Every URL the site writes is made
by relative_url() from one output path to another, so the site works from file:// and from
any sub-path of a server.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from typing import NewType
from urllib.parse import quote

SourcePath = NewType("SourcePath", str)
Slug = NewType("Slug", str)
OutPath = NewType("OutPath", str)

_NON_WORD = re.compile(r"[^\w]+")
_UNDERSCORES = re.compile(r"_+")

# Output paths generated pages own; page slugs never take these names.
RESERVED_SLUGS = frozenset({"index", "404"})
# Top folders of the site that kbwiki's own pages fill; a content folder of that name is written beside them
# (see gather.assign_slugs), never into them.
RESERVED_FOLDERS = frozenset({"types", "tags", "links-here", "special", "assets", "files"})
MAX_SEGMENT_BYTES = 100  # any longer file or folder name is cut and given a hash: far below every file system's 255


def slugify(text: str) -> Slug:
    """Lower-case words joined by '-': "Interaction / Background Model Split" -> interaction-background-model-split.

    Letters and digits of any script are kept ("日本語" stays "日本語"); accents on Latin letters
    are kept as well; everything else (spaces, punctuation, '_') becomes one '-'.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("\u2019", "")
    text = _NON_WORD.sub("-", text)
    text = _UNDERSCORES.sub("-", text)
    return Slug(re.sub(r"-{2,}", "-", text).strip("-"))


def fit_segment(segment: str, limit: int = MAX_SEGMENT_BYTES) -> str:
    """A name of at most `limit` UTF-8 bytes: a longer one is cut at a character boundary and ends in '-' and
    8 hex digits of a hash of the whole name (stable, so one name always gives one output name, and two long
    names that share their start stay apart)."""
    data = segment.encode("utf-8")
    if len(data) <= limit:
        return segment
    digest = hashlib.blake2b(data, digest_size=4).hexdigest()
    cut = data[:limit - len(digest) - 1].decode("utf-8", "ignore").rstrip("-")
    return f"{cut}-{digest}"


def fit_file_name(name: str) -> str:
    """A file name cut by fit_segment() with its extension kept (`a-very-long….png` stays a .png)."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext.encode("utf-8")) <= 10:
        return fit_segment(stem, MAX_SEGMENT_BYTES - len(ext.encode("utf-8")) - 1) + "." + ext
    return fit_segment(name)


def slug_segment(text: str, empty: str = "page") -> str:
    """One segment of a slug: slugify(), never empty, short enough to take `.html` within MAX_SEGMENT_BYTES."""
    return fit_segment(slugify(text) or empty, MAX_SEGMENT_BYTES - len(".html"))


def path_slug(src_path: str) -> Slug:
    """A page's slug from its source path: each folder and the file name (without `.md`) slugified.

    `concepts/Constitutional AI.md` -> `concepts/constitutional-ai`; `index.md` -> `index`;
    `notes/index.md` -> `notes/index` (written as notes/index.html)."""
    stem = src_path[:-3] if src_path.casefold().endswith(".md") else src_path
    return Slug("/".join(slug_segment(part) for part in stem.split("/") if part))


def url_slug(wanted: str) -> Slug:
    """A slug chosen in front matter (`slug:`, `permalink:`): its '/'-separated segments slugified ('' for none)."""
    parts = [slugify(part) for part in wanted.strip().strip("/").split("/")]
    return Slug("/".join(fit_segment(p, MAX_SEGMENT_BYTES - len(".html")) for p in parts if p))


def page_out_path(slug: Slug) -> OutPath:
    """Where a content page is written: its slug plus `.html` (`concepts/foo.html`); the home page is index.html."""
    return OutPath(f"{slug}.html")


def type_out_path(type_name: str) -> OutPath:
    """The listing page of one page type."""
    return OutPath(f"types/{slug_segment(type_name)}.html")


def tag_out_path(tag: str) -> OutPath:
    """The listing page of one tag."""
    return OutPath(f"tags/{slug_segment(tag, 'tag')}.html")


def backlinks_out_path(slug: Slug) -> OutPath:
    """The full list of the pages that link to a page (when it has more than its own page shows)."""
    return OutPath(f"{LINKS_HERE}/{slug}.html")


def listing_page_path(first: OutPath, number: int) -> OutPath:
    """Page `number` (from 1) of a paginated listing whose first page is `first`: tags/ai.html, tags/ai/2.html, …

    Later pages go in a folder named after the first page, inside kbwiki's own folders (types/, tags/,
    links-here/, special/), which no content page is written into."""
    return first if number <= 1 else OutPath(f"{first.removesuffix('.html')}/{number}.html")


def attachment_out_path(src_path: str) -> OutPath:
    """Where an embedded or linked file (image, PDF, audio, video) is copied: files/ + its path in the vault
    (each name cut by fit_segment(), so a file whose name is too long for the site's disk still fits)."""
    return OutPath(f"{FILES}/" + "/".join(fit_file_name(part) for part in src_path.split("/")))


FILES = "files"
LINKS_HERE = "links-here"
HOME = OutPath("index.html")
NOT_FOUND = OutPath("404.html")
ALL_PAGES = OutPath("special/all-pages.html")
WANTED = OutPath("special/wanted.html")
ORPHANS = OutPath("special/orphans.html")
GRAPH_JSON = OutPath("graph.json")
GRAPH_PAGE = OutPath("special/graph.html")
GRAPH_DATA = OutPath("graph-data.js")
RECENT_CHANGES = OutPath("special/recent-changes.html")
SITEMAP = OutPath("sitemap.xml")
FEED = OutPath("feed.xml")
LLMS_TXT = OutPath("llms.txt")
ASSETS = "assets"


def wanted_anchor(target: str, file: bool = False) -> str:
    """The fragment id of a missing target's entry on the Wanted pages page (`file`: in its Missing files)."""
    return ("missing-" if file else "wanted-") + (slugify(target) or "untitled")


def relative_url(from_out: OutPath, to_out: str, fragment: str = "") -> str:
    """The URL, relative to the page at `from_out`, of the output file `to_out` (quoted).

    Both are output paths: relative to the site root, '/'-separated, without '.' or '..' parts.
    """
    url = _relative(from_out.rpartition("/")[0], to_out)
    if fragment:
        url += "#" + quote(fragment, safe="")
    return url


@functools.lru_cache(maxsize=65536)
def _relative(start: str, to_out: str) -> str:
    """relative_url() from a page in the folder `start`, without a fragment (memoised: a page asks ~45 times,
    mostly for the same hubs and listings as the other pages of its folder)."""
    if not start:
        rel = to_out
    else:
        here, there = start.split("/"), to_out.split("/")
        common = 0
        while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
            common += 1
        rel = "../" * (len(here) - common) + "/".join(there[common:])
    return quote(rel, safe="/")


def root_prefix(from_out: OutPath) -> str:
    """The relative prefix from an output file to the site root: '' or '../' or '../../'."""
    depth = from_out.count("/")
    return "../" * depth


def singular(folder: str) -> str:
    """A folder name in the singular, for default page types: concepts -> concept, entities -> entity."""
    name = folder.casefold().strip()
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith(("yses", "eses")) and len(name) > 4:
        return name[:-2] + "is"
    if name.endswith(("sses", "xes", "ches", "shes", "zes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss") and len(name) > 1:
        return name[:-1]
    return name


def plural(name: str) -> str:
    """A page type in the plural, for new type folders: entity -> entities, concept -> concepts (inverse of singular)."""
    name = name.casefold().strip()
    if name.endswith("y") and len(name) > 1 and name[-2] not in "aeiou":
        return name[:-1] + "ies"
    if name.endswith("is") and len(name) > 2:
        return name[:-2] + "es"
    if name.endswith(("s", "x", "ch", "sh", "z")):
        return name + "es"
    return name + "s"
