"""Exports for search engines, feed readers and agents: sitemap.xml, feed.xml (Atom), llms.txt, redirect pages.

sitemap.xml and feed.xml need absolute URLs, so they are written only when `base_url` is set.
Nothing here reads the clock: dates come from the pages (`updated`, else `created`).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from generator import paths
from generator.config import Config
from generator.emit import Output, html_output
from generator.wiki.model import Entry, Wiki
from generator.paths import OutPath, relative_url
from generator.emit.render import type_label
from generator.parse.text import truncate

FEED_SIZE = 50  # the most recently updated pages in feed.xml
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?")
_EPOCH = "1970-01-01T00:00:00Z"


def absolute_url(base_url: str, out_path: str) -> str:
    """The absolute URL of an output file under `base_url` (index.html is the folder itself)."""
    base = base_url.rstrip("/") + "/"
    return base if out_path == paths.HOME else base + quote(out_path, safe="/")


def atom_date(text: str) -> str:
    """A page date as an RFC 3339 timestamp (UTC assumed), or '' when it is not a date."""
    match = _DATE.match(text.strip())
    if not match:
        return ""
    clock = match.group(2) or "00:00:00"
    return f"{match.group(1)}T{clock if clock.count(':') == 2 else clock + ':00'}Z"


def page_date(entry: Entry) -> str:
    """The page's last-change date for exports: `updated`, else `created`, as RFC 3339; '' if none."""
    return atom_date(entry.page.updated) or atom_date(entry.page.created)


def sitemap(config: Config, wiki: Wiki) -> Output:
    """sitemap.xml: every content page, with its date as <lastmod> when it has one."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for entry in sorted(wiki.entries.values(), key=lambda e: e.out_path):
        lastmod = page_date(entry)[:10]
        lines.append(f"  <url><loc>{xml_escape(absolute_url(config.base_url, entry.out_path))}</loc>"
                     + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>")
    lines.append("</urlset>")
    return Output(paths.SITEMAP, ("\n".join(lines) + "\n").encode("utf-8"))


def feed(config: Config, wiki: Wiki) -> Output:
    """feed.xml: an Atom feed of the most recently updated pages (pages without a date are left out)."""
    dated = sorted(((page_date(e), e) for e in wiki.entries.values() if page_date(e)),
                   key=lambda pair: (pair[0], pair[1].page.title.casefold(), pair[1].slug), reverse=True)[:FEED_SIZE]
    home = absolute_url(config.base_url, paths.HOME)
    x = xml_escape
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
             f"  <title>{x(config.title)}</title>", f"  <id>{x(home)}</id>",
             f'  <link href="{x(home)}"/>', f'  <link rel="self" href="{x(absolute_url(config.base_url, paths.FEED))}"/>',
             f"  <updated>{dated[0][0] if dated else _EPOCH}</updated>",
             f"  <author><name>{x(config.title)}</name></author>"]
    for date, entry in dated:
        url = absolute_url(config.base_url, entry.out_path)
        lines += ["  <entry>", f"    <title>{x(entry.page.title)}</title>", f'    <link href="{x(url)}"/>',
                  f"    <id>{x(url)}</id>", f"    <updated>{date}</updated>"]
        if entry.page.summary:
            lines.append(f"    <summary>{x(truncate(entry.page.summary, config.summary_length))}</summary>")
        lines += [f'    <category term="{x(entry.page.type)}"/>', "  </entry>"]
    lines.append("</feed>")
    return Output(paths.FEED, ("\n".join(lines) + "\n").encode("utf-8"))


def llms_txt(config: Config, wiki: Wiki) -> Output:
    """llms.txt (llmstxt.org): the wiki for agents — `# title`, `> summary`, then `## Type` lists of `- [Title](url): summary`."""
    home = wiki.entries.get(wiki.home_slug) if wiki.home_slug else None
    summary = home.page.summary if home and home.page.summary else f"A wiki of {len(wiki.entries)} pages, listed by type."
    lines = [f"# {_one_line(config.title)}", "", f"> {_one_line(truncate(summary, 300))}", ""]
    lines += [f"Every page is also in graph.json (links, backlinks, related pages). Missing pages: {paths.WANTED}.", ""]
    for type_name, slugs in wiki.types().items():
        lines += [f"## {type_label(type_name)}", ""]
        for slug in slugs:
            page = wiki.entries[slug].page
            url = quote(wiki.entries[slug].out_path, safe="/")
            text = _one_line(truncate(page.summary, config.summary_length))
            title = _one_line(page.title).replace("[", "\\[").replace("]", "\\]")
            lines.append(f"- [{title}]({url})" + (f": {text}" if text else ""))
        lines.append("")
    return Output(paths.LLMS_TXT, "\n".join(lines).encode("utf-8"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def redirects(config: Config, wiki: Wiki) -> list[Output]:
    """A small page at `<slugify(alias)>.html` (at the site root) for each alias, and for a page whose `slug:` or
    `permalink:` moved it, at the URL its path would give and at its title's slug.

    A redirect never takes a name a page (or an earlier redirect) has; pages are visited by slug, names in order."""
    taken = set(wiki.entries) | set(paths.RESERVED_SLUGS)
    outs = []
    for slug in sorted(wiki.entries):
        entry = wiki.entries[slug]
        page = entry.page
        names = [paths.slug_segment(a, "") for a in page.aliases]
        if page.meta.get("permalink") or page.meta.get("slug"):
            names += [paths.path_slug(page.src_path), paths.slug_segment(page.title, "")]
        for name in dict.fromkeys(n for n in names if n):
            if name in taken:
                continue
            taken.add(name)
            out = paths.page_out_path(name)
            outs.append(html_output(out, redirect_html(config, out, entry)))
    return outs


def redirect_html(config: Config, out: OutPath, entry: Entry) -> str:
    """A redirect page: meta refresh, a canonical link, and a plain link for when refresh is off."""
    url = escape(relative_url(out, entry.out_path))
    canonical = escape(absolute_url(config.base_url, entry.out_path)) if config.base_url else url
    title = escape(entry.page.title)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<link rel=\"canonical\" href=\"{canonical}\">\n"
            "<meta name=\"robots\" content=\"noindex\">\n"
            f"<meta http-equiv=\"refresh\" content=\"0; url={url}\">\n</head>\n<body>\n"
            f"<p>This page has moved to <a href=\"{url}\">{title}</a>.</p>\n</body>\n</html>\n")


def export_outputs(config: Config, wiki: Wiki) -> list[Output]:
    """llms.txt and redirects always; sitemap.xml and feed.xml when the site's base URL is known."""
    outs = [llms_txt(config, wiki), *redirects(config, wiki)]
    if config.base_url:
        outs += [sitemap(config, wiki), feed(config, wiki)]
    return outs
