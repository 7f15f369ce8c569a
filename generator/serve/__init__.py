"""Serve: a Config -> a running dev server that rebuilds on every change and reloads open pages."""
