"""Write requirements.txt (the direct dependencies, pinned to the versions in
requirements.lock) so the Docker image and the venv install the same versions."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    lock: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            lock[match.group(1).lower()] = match.group(2)
    out = [
        "# Pinned direct dependencies: what the Docker image installs (see Dockerfile).",
        "# Full transitive pins: requirements.lock. Regenerate both with `make lock`.",
    ]
    for line in (ROOT / "requirements.in").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name = re.split(r"[=<>\[ ]", line.strip())[0].lower()
            out.append(f"{name}=={lock[name]}")
    (ROOT / "requirements.txt").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
