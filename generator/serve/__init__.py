"""Serve: a Config -> a running dev server that rebuilds on every change and reloads open pages."""


class ServeError(Exception):
    """The server cannot start; the message says why in one line. Here, not in devserver, so that cli.py
    names it without importing http.server (~0.1 s that every `kbwiki build` paid)."""
