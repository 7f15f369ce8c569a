"""`kbwiki new`: a new page from its type's archetype, never over an existing page.

Archetypes are Jinja2 templates (autoescape off: they write Markdown) named `archetypes/<type>.md`
in the theme folders, the user's templates folder first, then the default theme; `default.md`
serves types without their own. plan_new_page() is pure; create_page() is the one write.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from generator.config import Config
from generator.parse.content import parse_page
from generator.diagnostics import Diagnostic
from generator.wiki.lint import MentionIndex
from generator.wiki.resolve import Resolver
from generator.parse.links import normalize
from generator.parse.page import ParsedPage
from generator.paths import SourcePath, plural, singular, slugify
from generator.emit.theme import theme_dirs
from generator.wiki.gather import assign_slugs
from generator.build.pipeline import load

ARCHETYPES = "archetypes"
DEFAULT_ARCHETYPE = "default"


@dataclass(frozen=True, slots=True)
class NewPage:
    """The page to write: where (relative to the content folder) and its text."""

    src_path: SourcePath
    text: str
    archetype: str  # the template used, e.g. archetypes/concept.md


@dataclass(frozen=True, slots=True)
class Existing:
    """What `new` needs to know about the wiki as it is."""

    parsed: list[ParsedPage]
    resolver: Resolver
    folders: tuple[str, ...]  # top-level folders of the content folder
    archetypes: tuple[str, ...]  # archetype names found in the theme folders
    problems: list[Diagnostic]

    def known_types(self) -> list[str]:
        """Types of existing pages and types with an archetype."""
        return sorted({p.page.type for p in self.parsed} | set(self.archetypes))


def archetype_dirs(config: Config) -> list[Path]:
    """Folders holding archetypes, most specific first."""
    return [d / ARCHETYPES for d in theme_dirs(config) if (d / ARCHETYPES).is_dir()]


def read_existing(config: Config) -> Existing:
    """Load the content folder (reading only) and list folders and archetypes."""
    parsed, problems = load(config)
    slugs, _ = assign_slugs(parsed)
    resolver = Resolver([p.page for p in parsed], slugs)
    folders = tuple(sorted(e.name for e in os.scandir(config.content_dir) if e.is_dir() and not e.name.startswith(".")))
    names = {p.stem for d in archetype_dirs(config) for p in d.glob("*.md") if not p.name.startswith("_")}
    names.discard(DEFAULT_ARCHETYPE)
    return Existing(parsed, resolver, folders, tuple(sorted(names)), problems)


def type_folder(page_type: str, folders: tuple[str, ...]) -> str:
    """The existing folder whose singular is the type, else the type's plural."""
    for folder in folders:
        if singular(folder) == page_type:
            return folder
    return plural(page_type)


def _yaml(value: object) -> str:
    """A YAML scalar for any text: JSON strings are valid YAML double-quoted scalars."""
    return json.dumps(str(value), ensure_ascii=False)


def _environment(config: Config) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(d) for d in theme_dirs(config)]),
                             autoescape=False, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["yaml"] = _yaml
    return env


def plan_new_page(config: Config, existing: Existing, page_type: str, title: str, links: list[str], today: str) -> tuple[NewPage | None, str]:
    """The page `new` would write, or why it will not: (NewPage, "") or (None, message)."""
    page_type = page_type.strip().casefold()
    title = " ".join(title.split())
    if not title:
        return None, "the title is empty"
    known = existing.known_types()
    if page_type not in known:
        return None, f"unknown page type '{page_type}'; known types: {', '.join(known)}"
    slug = slugify(title)
    if not slug:
        return None, f"the title '{title}' has no letters or digits to make a file name from"
    src_path = SourcePath(f"{type_folder(page_type, existing.folders)}/{slug}.md")
    found = existing.resolver.resolve_name(title)
    if found.src_path:
        return None, f"a page named '{title}' already exists: {found.src_path} (same {found.rule}); nothing written"
    if any(normalize(p.page.src_path) == normalize(src_path) for p in existing.parsed):
        return None, f"{src_path} already exists; nothing written"
    env = _environment(config)
    try:
        template = env.get_or_select_template([f"{ARCHETYPES}/{page_type}.md", f"{ARCHETYPES}/{DEFAULT_ARCHETYPE}.md"])
        text = template.render(title=title, type=page_type, slug=slug, date=today, links=list(links))
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or f"{ARCHETYPES}/{page_type}.md"
        line = f":{exc.lineno}" if getattr(exc, "lineno", None) else ""
        return None, f"{where}{line}: archetype cannot be rendered: {exc.message or exc}"
    page, problems = parse_page(src_path, text, config)
    if problems or page.title != title:
        detail = problems[0].message if problems else f"its title is '{page.title}'"
        return None, f"{template.filename}: the page it makes is not valid: {detail}"
    return NewPage(src_path, text, template.filename or ""), ""


def mentioning_pages(existing: Existing, title: str) -> list[SourcePath]:
    """Existing pages whose prose names `title` (whole words, case-insensitive): candidates to link."""
    index = MentionIndex([title])
    return sorted(p.page.src_path for p in existing.parsed if index.find(p.body.prose))


def linking_pages(existing: Existing, title: str) -> list[SourcePath]:
    """Existing pages with a (so far red) link whose target is `title`."""
    wanted = normalize(title)
    return sorted(p.page.src_path for p in existing.parsed if any(normalize(r.target) == wanted for r in p.refs))


def create_page(content_dir: Path, page: NewPage) -> Path:
    """Write the new page; fails (FileExistsError) rather than replace any file."""
    path = content_dir / page.src_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(page.text)
    return path
