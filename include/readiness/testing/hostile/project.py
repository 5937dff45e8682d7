"""A throwaway copy of the project for one hostile input: its checklists, specs, the
story's evidence and repositories, settings of its own, and a record of every file that
exists outside it, so a write that escapes is counted."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

#: The project a hostile run copies.
ROOT = Path(__file__).resolve().parents[4]
FSS, MNT = "file-storage-service", "maintenance-service"
#: The story's first day: both services stand where the story starts (FSS L2, MNT L1).
AS_OF = datetime(2026, 11, 20, 6, tzinfo=UTC)


@dataclass
class Project:
    """``work/project`` holds the copy; ``work`` itself is the outside a write must not
    reach (canaries name paths there)."""

    work: Path
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = self.work / "project"
        for name in ("checklists", "services"):
            shutil.copytree(ROOT / name, self.root / name)
        shutil.copytree(ROOT / "samples" / "evidence", self.root / "evidence")
        shutil.copytree(ROOT / "samples" / "exemptions", self.root / "exemptions")
        shutil.copytree(ROOT / "samples" / "repos", self.root / "samples" / "repos")
        self.settings = {
            "checklists": ["checklists"],
            "services": ["services"],
            "evidence_root": "evidence",
            "exemptions_root": "exemptions",
            "history": "duckdb://var/history.duckdb",
            "tracker": "outbox",
            "outbox": "var/outbox",
            "reports": "var/reports",
            "collect_workers": 1,
        }

    # ------------------------------------------------------------------ planting

    def spec(self, service: str) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load(
            (self.root / "services" / f"{service}.yaml").read_text()
        )
        return data

    def save_spec(self, service: str, data: dict[str, Any]) -> None:
        self.write(f"services/{service}.yaml", yaml.safe_dump(data, sort_keys=False))

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    def link(self, relative: str, target: str | Path) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.symlink_to(target)
        return path

    def outside(self, name: str, content: str) -> Path:
        """A file outside the project (what a link would borrow)."""
        path = self.work / "outside" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        return path

    # ------------------------------------------------------------------ running

    def files_outside(self) -> set[Path]:
        """Every file under ``work`` but outside the project."""
        return {
            p
            for p in self.work.rglob("*")
            if not p.is_relative_to(self.root) and (p.is_file() or p.is_symlink())
        }

    @contextlib.contextmanager
    def active(self, extra_env: dict[str, str] | None = None) -> Iterator[None]:
        """The project as the one ``readiness`` reads: its settings file, its home, no
        ``READINESS_*`` of the caller's."""
        (self.root / "readiness.yaml").write_text(yaml.safe_dump(self.settings))
        saved = {k: v for k, v in os.environ.items() if k.startswith("READINESS_")}
        for key in saved:
            del os.environ[key]
        os.environ["READINESS_HOME"] = str(self.root)
        os.environ.update(extra_env or {})
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            yield
        finally:
            os.chdir(cwd)
            for key in [k for k in os.environ if k.startswith("READINESS_")]:
                del os.environ[key]
            os.environ.update(saved)

    def check(self) -> tuple[int, str]:
        """``readiness check`` in the project: its exit code and what it printed."""
        from readiness.cli.main import main

        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(["check", "--no-gx"])
        return code, out.getvalue()

    def evaluate(self, services: list[str]) -> Any:
        """One recorded run of ``services`` on the story's first day."""
        from readiness.pipeline.engine import evaluate
        from readiness.spec.config import load_settings

        return evaluate(load_settings(), services=services, as_of=AS_OF)
