"""Wiki: every ParsedPage -> the gathered Wiki (slugs, resolved links, graph, related lists) and its lint diagnostics."""
