"""``make chaos``: the chaos suite of ``readiness.testing.chaos``, all of it (``--quick``:
the subset CI runs through tests/test_chaos.py)."""

from __future__ import annotations

import sys

from readiness.testing.chaos import main

if __name__ == "__main__":
    sys.exit(0 if all(o.ok for o in main()) else 1)
