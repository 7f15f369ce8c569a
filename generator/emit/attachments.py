"""The files pages embed or link to (images, PDFs, audio, video), copied under files/ with their vault paths."""

from __future__ import annotations

from typing import Iterator

from generator.config import Config
from generator.emit import Output
from generator.wiki.model import Wiki
from generator.paths import SourcePath, attachment_out_path
from generator.parse.sources import read_attachment


def attachment_outputs(config: Config, wiki: Wiki) -> Iterator[Output]:
    """Every referenced attachment, as it is. Unreferenced files stay out: a vault holds much that is not for the site.
    One that cannot be read is left out here; site.analyse() reported it (sources.unreadable_attachments)."""
    for src_path in wiki.attachments:
        data, _ = read_attachment(config.content_dir, SourcePath(src_path))
        if data is not None:
            yield Output(attachment_out_path(src_path), data)
