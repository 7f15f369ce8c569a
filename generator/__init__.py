"""kbwiki: a static site generator for knowledge-base wikis."""

__version__ = "0.1.0"
