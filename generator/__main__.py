"""python -m generator -> cli.run()."""

from generator.cli import run

run()
