"""python -m generator -> cli.main()."""

import sys

from generator.cli import main

sys.exit(main())
