"""`sanitize: true`: a page body's HTML cut down to a safe subset with nh3 (ammonia), keeping kbwiki's own markup."""

from __future__ import annotations

import nh3

from generator.parse.markdown import RESERVED_IDS

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

# What Python-Markdown and our extension write, on top of nh3's safe defaults: heading ids and
# permalinks, footnote ids and back-references, table alignment, code-language classes,
# wiki-link classes and their `kbref:` placeholders (filled in after this runs).
_ATTRIBUTES: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in (*_HEADINGS, "li", "sup", "div", "section"):
    _ATTRIBUTES.setdefault(_tag, set()).add("id")
for _tag in ("th", "td"):
    _ATTRIBUTES.setdefault(_tag, set()).update({"style", "align"})
_ATTRIBUTES.setdefault("a", set()).update({"href", "title"})
_ATTRIBUTES.setdefault("*", set()).update({"class", "title"})

_CLEANER = nh3.Cleaner(
    tags=set(nh3.ALLOWED_TAGS) | {"section"},
    attributes=_ATTRIBUTES,
    clean_content_tags={"script", "style"},  # dropped with their content, not shown as text
    url_schemes={"http", "https", "mailto", "kbref"},  # kbref: our link placeholders
    link_rel=None,  # our own links need no rel; outside links keep what the author wrote, if allowed
    filter_style_properties={"text-align"},  # the only style Python-Markdown's tables write
    attribute_filter=lambda tag, attr, value: None if attr == "id" and value in RESERVED_IDS else value,
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Body HTML with unknown tags, event handlers, script, style and unsafe URLs removed."""
    return _CLEANER.clean(html)
