"""Commands: a Config -> a report (check), one new page (new) or a graph file (graph export); thin, over the stages."""
