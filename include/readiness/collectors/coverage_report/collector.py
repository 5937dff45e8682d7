"""Line and branch coverage per path prefix, parsed from the coverage reports CI uploads to
the evidence store: Cobertura XML, lcov, coverage.py JSON."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from readiness.collectors import CollectRequest
from readiness.collectors._recorded import names_of
from readiness.domain.model import Evidence
from readiness.evidence.store import ObjectRefused, StoredObject, StoreUnavailable
from readiness.support.timeutil import utcnow

COLUMNS = (
    "path",
    "lines_pct",
    "branches_pct",
    "lines_total",
    "lines_covered",
    "branches_total",
    "branches_covered",
    "files",
    "generated_at",
)
Format = Literal["auto", "cobertura", "lcov", "coverage_json"]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefixes: str | list[str]
    path: str = "coverage/**/*"
    format: Format = "auto"


class ReportError(ValueError):
    """A report that cannot be parsed; the message names where."""


@dataclass
class FileCoverage:
    lines_total: int = 0
    lines_covered: int = 0
    branches_total: int = 0
    branches_covered: int = 0


@dataclass
class Report:
    files: dict[str, FileCoverage]
    generated_at: datetime | None


def _normal(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./")


def parse_cobertura(data: bytes) -> Report:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ReportError(f"not Cobertura XML: {exc}") from None
    if root.tag != "coverage":
        raise ReportError(f"expected a <coverage> root element, got <{root.tag}>")
    files: dict[str, FileCoverage] = {}
    for cls in root.iter("class"):
        name = cls.get("filename")
        if not name:
            raise ReportError("a <class> element has no filename attribute")
        cov = files.setdefault(_normal(name), FileCoverage())
        for line in cls.iter("line"):
            cov.lines_total += 1
            if int(line.get("hits", "0")) > 0:
                cov.lines_covered += 1
            condition = line.get("condition-coverage")  # "50% (1/2)"
            if line.get("branch") == "true" and condition:
                match = re.search(r"\((\d+)/(\d+)\)", condition)
                if match:
                    cov.branches_covered += int(match.group(1))
                    cov.branches_total += int(match.group(2))
    stamp = root.get("timestamp")
    generated = None
    if stamp and stamp.isdigit():
        seconds = int(stamp) / 1000 if int(stamp) > 10**11 else int(stamp)
        generated = datetime.fromtimestamp(seconds, tz=UTC)
    return Report(files, generated)


def parse_lcov(data: bytes) -> Report:
    files: dict[str, FileCoverage] = {}
    current: FileCoverage | None = None
    totals: dict[str, int] = {}
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("TN:"):
            continue
        tag, _sep, value = line.partition(":")
        try:
            if tag == "SF":
                current = files.setdefault(_normal(value), FileCoverage())
                totals = {}
            elif current is None and tag != "end_of_record":
                raise ReportError(f"line {number}: {tag} before any SF record")
            elif tag == "DA" and current is not None:
                line_no, hits = value.split(",")[:2]
                int(line_no)
                current.lines_total += 1
                current.lines_covered += int(float(hits)) > 0
            elif tag == "BRDA" and current is not None:
                int(value.split(",")[0])
                taken = value.split(",")[3]
                current.branches_total += 1
                current.branches_covered += taken not in ("-", "0")
            elif tag in ("LF", "LH", "BRF", "BRH"):
                totals[tag] = int(value)
            elif tag == "end_of_record" and current is not None:
                # the summary lines win over counted records when a tool writes only them
                current.lines_total = totals.get("LF", current.lines_total)
                current.lines_covered = totals.get("LH", current.lines_covered)
                current.branches_total = totals.get("BRF", current.branches_total)
                current.branches_covered = totals.get("BRH", current.branches_covered)
                current = None
        except (IndexError, ValueError) as exc:
            raise ReportError(f"line {number}: malformed {tag} record ({exc})") from None
    if not files:
        raise ReportError("no SF records: not an lcov report")
    return Report(files, None)


def parse_coverage_json(data: bytes) -> Report:
    try:
        doc = json.loads(data)
        entries = doc["files"]
    except (ValueError, KeyError, TypeError):
        raise ReportError("not a coverage.py JSON report (no 'files')") from None
    files: dict[str, FileCoverage] = {}
    for name, entry in entries.items():
        summary = entry.get("summary") or {}
        files[_normal(name)] = FileCoverage(
            lines_total=int(summary.get("num_statements", 0)),
            lines_covered=int(summary.get("covered_lines", 0)),
            branches_total=int(summary.get("num_branches", 0)),
            branches_covered=int(summary.get("covered_branches", 0)),
        )
    stamp = (doc.get("meta") or {}).get("timestamp")
    generated = None
    if isinstance(stamp, str):
        parsed = datetime.fromisoformat(stamp)
        generated = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return Report(files, generated)


def detect(name: str, data: bytes) -> str:
    head = data.lstrip()[:200]
    if head.startswith(b"<"):
        return "cobertura"
    if head.startswith(b"{"):
        return "coverage_json"
    if name.endswith((".info", ".lcov")) or b"SF:" in data[:4096]:
        return "lcov"
    raise ReportError(
        "not a coverage report this collector reads (Cobertura, lcov, coverage.py JSON)"
    )


PARSERS = {"cobertura": parse_cobertura, "lcov": parse_lcov, "coverage_json": parse_coverage_json}


def _date_in_name(name: str) -> datetime | None:
    match = re.search(r"(\d{4}-\d{2}-\d{2})", name)
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match else None


def _pct(covered: int, total: int) -> float | None:
    return None if total == 0 else round(100.0 * covered / total, 2)


class CoverageReportCollector:
    kind: ClassVar[str] = "coverage_report"
    source: ClassVar[str] = "store"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = None
    Params: ClassVar[type[BaseModel]] = Params
    #: Every column its evidence has: ``check`` refuses an expectation on any other.
    columns: ClassVar[tuple[str, ...]] = COLUMNS

    def collect(self, request: CollectRequest) -> Evidence:
        params = Params.model_validate(request.params)
        prefixes = names_of(params.prefixes)
        fetched_at = utcnow()
        where = f"{request.store.root}/{params.path}"
        try:
            objects = request.store.list(params.path)
            reports: list[tuple[datetime, StoredObject, str, Report]] = []
            for obj in objects:
                try:
                    data, sha = request.store.read(obj)
                except ObjectRefused as exc:
                    return Evidence.failed(obj.uri, fetched_at, str(exc))
                memo_key = ("coverage_report", obj.uri, sha, params.format)
                try:
                    if memo_key not in request.store.memo:  # several items read one report
                        kind = params.format if params.format != "auto" else detect(obj.name, data)
                        request.store.memo[memo_key] = PARSERS[kind](data)
                    report = request.store.memo[memo_key]
                except ReportError as exc:
                    return Evidence.failed(obj.uri, fetched_at, f"{obj.uri}: {exc}")
                when = report.generated_at or _date_in_name(obj.name)
                if when is not None and when > request.as_of:
                    continue
                reports.append((when or datetime.min.replace(tzinfo=UTC), obj, sha, report))
        except StoreUnavailable as exc:
            return Evidence.failed(where, fetched_at, str(exc), transient=True)
        if not reports:
            return Evidence.missing(
                where,
                fetched_at,
                f"no coverage report at {params.path}; expected in <evidence_root>/"
                f"{request.service.service}/{params.path.split('*', 1)[0].rstrip('/')}/ "
                "(Cobertura XML, lcov or coverage.py JSON: docs/collectors.md)",
            )
        when, obj, sha, report = max(reports, key=lambda r: (r[0], r[1].name))
        rows = []
        for prefix in prefixes:
            chosen = [cov for name, cov in report.files.items() if name.startswith(prefix)]
            if not chosen:
                return Evidence.missing(
                    obj.uri, fetched_at, f"{obj.uri} has no files under {prefix!r}"
                )
            lines_total = sum(c.lines_total for c in chosen)
            lines_covered = sum(c.lines_covered for c in chosen)
            branches_total = sum(c.branches_total for c in chosen)
            branches_covered = sum(c.branches_covered for c in chosen)
            rows.append(
                {
                    "path": prefix,
                    "lines_pct": _pct(lines_covered, lines_total),
                    "branches_pct": _pct(branches_covered, branches_total),
                    "lines_total": lines_total,
                    "lines_covered": lines_covered,
                    "branches_total": branches_total,
                    "branches_covered": branches_covered,
                    "files": len(chosen),
                    "generated_at": report.generated_at or _date_in_name(obj.name),
                }
            )
        generated = report.generated_at or _date_in_name(obj.name)
        return Evidence(
            rows=rows,
            columns=COLUMNS,
            uri=obj.uri,
            sha256=sha,
            sources=((obj.uri, sha),),
            fetched_at=fetched_at,
            observed_at=generated,
            summary={"report": obj.name, "files_in_report": len(report.files)},
        )


COLLECTOR = CoverageReportCollector()
