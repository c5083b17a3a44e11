"""`python -m affinekit ...` is the `affinekit` command."""
import sys

from affinekit.cli import main

sys.exit(main())
