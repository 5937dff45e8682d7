"""``python -m readiness.cli``: the command line."""

import sys

from readiness.cli.main import main

sys.exit(main())
