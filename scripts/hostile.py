"""``make hostile``: the hostile-input corpus of ``readiness.testing.hostile``, all of it
(CI runs all of it through tests/test_hostile.py: it takes about 25 s)."""

from __future__ import annotations

import sys

from readiness.testing.hostile import main, passed

if __name__ == "__main__":
    sys.exit(0 if passed(main(sys.argv[1:])) else 1)
