"""``make hostile``: every hostile input of ``cases.py`` planted in a fresh copy of the
project, then ``readiness check`` and a recorded run. A case counts as refused when the
refusal it expects shows (check exits 1 naming it, the item it aimed at is not satisfied
and its reason names why, the page links nothing it should not), the service's level is
not above where the story has it, and no file appeared outside the project.

Prints ``hostile inputs tried N, refused N, level raised 0, files written outside 0``."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from readiness.domain.model import SATISFIED
from readiness.testing.hostile.cases import CASES, Hostile
from readiness.testing.hostile.project import AS_OF, FSS, MNT, Project

#: Where the story has each service on its first day, unmodified.
BASELINE = {FSS: "L2", MNT: "L1"}


@dataclass
class Result:
    case: Hostile
    refused: bool
    level_raised: bool
    written_outside: int
    note: str


def _rank(level: str | None) -> int:
    digits = (level or "").lstrip("L")
    return int(digits) if digits.isdigit() else -1


def _javascript_link(html: str) -> bool:
    return re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE) is not None


def run_case(case: Hostile, work: Path) -> Result:
    project = Project(work)
    service = case.service
    project.settings.update(case.settings)
    case.plant(project)
    before = project.files_outside()
    level: str | None = None
    with project.active(case.env):
        code, printed = project.check()
        if case.env:  # a process of its own: a fired failpoint would kill it
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "readiness.cli",
                    "evaluate",
                    "--service",
                    MNT,
                    "--as-of",
                    AS_OF.isoformat(),
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
            refused = run.returncode == 0
            note = f"the run completed (exit {run.returncode})"
            level = BASELINE[service] if refused else None
        else:
            report = project.evaluate([service])
            evaluated = {ev.service: ev for ev in report.evaluations}
            ev = evaluated.get(service)
            level = ev.achieved_level if ev else None
            if case.refused_by == "check":
                refused = code != 0 and case.expect in printed
                first = next((line for line in printed.splitlines() if case.expect in line), "")
                note = first.strip() or f"check exit {code}, no line with {case.expect!r}"
            elif case.refused_by == "run":
                result = next((r for r in ev.items if r.item.id == case.item), None) if ev else None
                refused = (
                    result is not None
                    and result.effective_status not in SATISFIED
                    and case.expect in result.reason
                )
                note = (
                    f"{case.item} {result.effective_status.value}: {result.reason[:160]}"
                    if result
                    else f"{case.item} was not evaluated"
                )
            else:
                from readiness.testing.hostile.page import live_probe_uri, service_page

                # what a live probe of ${locations.base_url}/healthz records when it fails:
                # the URL itself, which the page shows with the item's evidence
                live_probe_uri(service, "DEP5", "javascript:alert(document.domain)///healthz")
                page = service_page(service)
                shown = case.expect in page  # the value reached the page: the case can fail
                refused = shown and not _javascript_link(page)
                note = (
                    "shown as text, not as a link"
                    if refused
                    else ("a javascript: link" if shown else "the value never reached the page")
                )
    written = len(project.files_outside() - before)
    return Result(case, refused, _rank(level) > _rank(BASELINE[service]), written, note)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="make hostile", description=__doc__)
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.only or args.only in c.name]
    results = []
    with tempfile.TemporaryDirectory(prefix="readiness-hostile-") as tmp:
        for n, case in enumerate(cases):
            result = run_case(case, Path(tmp) / f"case-{n:02d}")
            mark = "refused" if result.refused else "NOT REFUSED"
            print(f"{mark:>11}  {case.name}: {result.note}", flush=True)
            results.append(result)
    refused = sum(r.refused for r in results)
    raised = sum(r.level_raised for r in results)
    outside = sum(r.written_outside for r in results)
    print(
        f"hostile inputs tried {len(results)}, refused {refused}, level raised {raised}, "
        f"files written outside {outside}"
    )
    return results


def passed(results: list[Result]) -> bool:
    return all(r.refused and not r.level_raised and not r.written_outside for r in results)
