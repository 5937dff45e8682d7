"""The parse benchmark runs (on two specs) so it cannot rot; figures are not asserted."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_parse_benchmark_runs_on_a_small_folder(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("parse_dags", ROOT / "bench" / "parse_dags.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "parse.json"
    rows = bench.main(["2", "--json", str(out)])
    assert [r["specs"] for r in rows] == [2]
    assert rows[0]["generated_s"] > 0 and rows[0]["static_s"] > 0
    assert out.read_text().strip().startswith("[")
