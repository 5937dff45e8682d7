"""Check the layer contracts of pyproject.toml ([tool.importlinter]) with import-linter.

import-linter's wildcards replace whole module names only, so "every test module beside
the code" cannot be written there. This script puts each ``test_*.py`` under
include/readiness in place of the ``<tests beside the code>`` marker, then runs
``lint-imports`` on that configuration: a new test needs no edit, and production modules
get no exemption."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "include" / "readiness"
MARKER = "<tests beside the code>"


def test_modules() -> list[str]:
    return sorted(
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        for p in PACKAGE.rglob("test_*.py")
    )


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def configuration() -> str:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = ["[tool.importlinter]"]
    lines += [f"{k} = {_toml(v)}" for k, v in config.items() if k != "contracts"]
    for contract in config["contracts"]:
        ignores = contract.get("ignore_imports", [])
        if MARKER in ignores:
            ignores = [i for i in ignores if i != MARKER]
            ignores += [f"{m} -> readiness.**" for m in test_modules()]
            contract = {**contract, "ignore_imports": ignores}
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{k} = {_toml(v)}" for k, v in contract.items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "importlinter.toml"
        config.write_text(configuration())
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'include'}:{ROOT / 'plugins'}"}
        lint = Path(sys.executable).with_name("lint-imports")
        return subprocess.run([str(lint), "--no-cache", str(config)], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
