"""Build: a Config -> a written site: reads, parses (cache, pool), gathers, renders and hands every output to the writer."""
