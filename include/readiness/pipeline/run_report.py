"""What one batch evaluation produced: below both the engine that fills it and the console
and JSON renderers that show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from readiness.domain.model import ServiceEvaluation
from readiness.domain.verdicts import Verdict
from readiness.support.errors import Problem
from readiness.trackers import SyncReport


@dataclass
class RunReport:
    run_key: str
    as_of: datetime
    dry_run: bool
    evaluations: list[ServiceEvaluation] = field(default_factory=list)
    issues: dict[str, SyncReport] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gx_calls: int = 0
    #: the signed verdict of each recorded evaluation
    verdicts: list[Verdict] = field(default_factory=list)
