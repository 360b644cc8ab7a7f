"""`python -m kealab`: see `kealab.cli`."""

import sys

from .cli import main

__all__ = ()

sys.exit(main())
