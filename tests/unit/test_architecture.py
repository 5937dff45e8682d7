"""docs/architecture.md draws the tree that is there: every package of the core and every
layer of the import contract is named on the page, and no module outgrows 500 lines."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "include" / "readiness"
PAGE = (ROOT / "docs" / "architecture.md").read_text()


def test_the_page_names_every_package_of_the_core() -> None:
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert packages, PACKAGE
    missing = [name for name in packages if f"{name}/" not in PAGE]
    assert not missing, f"docs/architecture.md does not draw {missing}"
    stray = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert not stray, f"top-level modules outside the layers: {stray}"


def test_the_contract_layers_are_the_pages() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    for layer in layers["layers"]:
        for name in layer.split("|"):
            assert f"{name.strip()}/" in PAGE, name


@pytest.mark.parametrize("folder", ["include", "plugins", "dags", "scripts", "bench", "samples"])
def test_no_module_is_over_500_lines(folder: str) -> None:
    big = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / folder).rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert not big, big
