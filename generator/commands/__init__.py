"""Commands: check, new and graph export, each a thin layer over the stages (a Config in, a report or one file out)."""
