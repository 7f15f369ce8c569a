"""Exports for search engines, feed readers and agents: sitemap.xml, feed.xml (Atom), llms.txt, redirect pages."""

from __future__ import annotations

from generator.config import Config
from generator.emit import Output
from generator.model import Wiki
from generator.render import Renderer


def export_outputs(config: Config, wiki: Wiki, renderer: Renderer) -> list[Output]:
    return []
