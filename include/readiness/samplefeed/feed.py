"""The sample evidence feed: on embedded defaults, the sample teams' tooling keeps exporting.

``samples/evidence`` is the story: a snapshot of what each team's tooling had written around
one day, ``STORY_DAY`` (2026-11-20). ``make demo`` evaluates it on the story's fixed dates.
An evidence root of ``samplefeed://<folder>`` (the embedded default in ``readiness.yaml``)
treats that snapshot as the template of what each tool writes, and writes that tool's output
into ``<folder>/<service>/``, day by day, up to the date of the run that reads it:

- daily exports (probes, recorded table and bucket settings, config snapshots, SLO counts, CI
  results with their coverage report): the template's newest day, moved to each of the last
  ``DAILY_WINDOW`` days, one dated folder per day;
- drills on their cadence: each template drill repeats as often as it was old on the story's
  day, except the weekly backup-restore drill, which follows ``RESTORE_WEEK``, and the
  deviations the story keeps (``STANDING``), which are copied as they are and never repeated;
- sign-offs once a quarter: every signature that counted on the story's day is renewed on the
  same day of each quarter; signatures that had already lapsed stay lapsed;
- waivers: the risk register renews each of its standing waivers (``samples/exemptions``'
  ``waiver/`` documents) every quarter, until 14 days after the quarter ends, into the
  exemptions root (``samplegrants://``), not the team's store. A spec's own waivers are
  requests: only a grant puts them in force, and nothing here grants them;
- cost reports monthly.

What a day holds depends only on that day, so every run, whatever its date, order or
concurrency, sees the same evidence for the same as-of, and a backfill sees what a run on
that day would have seen. Files are written once, atomically (a temporary file renamed into
place), and never rewritten; a marker per as-of day makes a repeated call a single ``stat``.
The feed never runs for ``gs://`` or any plain folder: only this scheme turns it on."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from readiness.domain.model import ServiceSpec
from readiness.evidence.documents import document_kind
from readiness.evidence.events import publish
from readiness.evidence.store import EvidenceStore, open_store
from readiness.spec.config import load_settings
from readiness.support.timeutil import (
    attestation_expiry,
    parse_timestamp,
    previous_quarter,
    quarter_end,
    quarter_label,
    quarter_of,
    quarter_start,
)

SCHEME = "samplefeed://"
#: Where the template (the story) lives, relative to the project.
TEMPLATE = "samples/evidence"
#: The sample risk register: its standing waivers, renewed each quarter under the
#: exemptions root (``samplegrants://var/exemptions``), never in a team's store.
GRANTS_SCHEME = "samplegrants://"
GRANTS_TEMPLATE = "samples/exemptions"
STORY_DAY = date(2026, 11, 20)
#: Days of daily exports written behind each as-of: the 28-day SLO window with room to
#: spare, and more than any daily kind's ``max_age``.
DAILY_WINDOW = 35
#: What the story's teams export daily besides the collectors' recorded documents: config
#: snapshots, CI results and their coverage reports.
STORY_DAILY_KINDS = frozenset({"config_snapshot", "ci_check", "coverage"})


@cache
def daily_kinds() -> frozenset[str]:
    """Kinds exported every day: every collector's recorded document kind (what its live
    source's tooling exports, as it declares) and the story's own daily exports."""
    from readiness.collectors import KINDS, get_collector

    recorded = {kind for name in KINDS if (kind := get_collector(name).recorded)}
    return STORY_DAILY_KINDS | recorded


#: The weekly backup-restore drill (seed 004 RP3, at most 8 days old): Monday's scheduled
#: drill is skipped (the tooling records it ``aborted``); Tuesday's re-run passes. So every
#: week RP3 fails on Tuesday's run (a regression, a downgrade and an issue) and Wednesday's
#: run remediates it.
RESTORE_WEEK = {0: ("aborted", 13), 1: ("passed", 14)}  # weekday: (outcome, start hour UTC)
#: Template files the story keeps as deviations: copied as they are, never repeated.
STANDING = {
    "file-storage-service": frozenset({"drill_report/dr-failover-2026-07-19.json"}),
    "maintenance-service": frozenset(
        {"drill_report/dr-staging-2026-07-22.json", "ci_check/sync-payload.json"}
    ),
}
#: Bump when the feed's output changes: existing markers then no longer count.
VERSION = 1

_TS = re.compile(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|\+00:00)")
_DAY = re.compile(r"20\d\d-\d\d-\d\d")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MS = re.compile(r'timestamp="(\d+)"')


# --------------------------------------------------------------------------- moving text


def shift_text(text: str, days: int) -> str:
    """Every ISO timestamp in ``text`` (and a Cobertura ``timestamp`` in ms) moved by
    ``days``."""

    def move(match: re.Match[str]) -> str:
        moved = parse_timestamp(match.group()) + timedelta(days=days)
        return moved.strftime("%Y-%m-%dT%H:%M:%SZ")

    text = _TS.sub(move, text)
    return _MS.sub(lambda m: f'timestamp="{int(m.group(1)) + days * 86_400_000}"', text)


def shift_name(name: str, days: int) -> str:
    """A file name with the date in it moved by ``days`` (unchanged without one)."""
    found = _DAY.search(name)
    if not found:
        return name
    moved = date.fromisoformat(found.group()) + timedelta(days=days)
    return name.replace(found.group(), moved.isoformat())


# --------------------------------------------------------------------------- the template


@dataclass(frozen=True)
class TemplateFile:
    """One file of the template store: its records (JSON kinds) or its text."""

    path: str  # relative to the service's folder, '/'-separated
    kind: str
    form: str  # "object", "array", "jsonl" or "text"
    records: tuple[dict[str, Any], ...]
    text: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def day_of(self, record: dict[str, Any] | None) -> date | None:
        """The day a record (or a text file, by its name) is dated; None if it has none."""
        if record is None:
            found = _DAY.search(self.name)
            return date.fromisoformat(found.group()) if found else None
        try:
            field = document_kind(self.kind).time_field
            return parse_timestamp(record[field]).date()
        except (KeyError, ValueError, TypeError):
            return None

    def render(self, records: Sequence[dict[str, Any]], days: int) -> str:
        """The file as its tool writes it, with ``records`` moved by ``days``."""
        if self.form == "text":
            return shift_text(self.text, days)
        moved = [json.loads(shift_text(json.dumps(r, sort_keys=True), days)) for r in records]
        if self.form == "jsonl":
            return "".join(json.dumps(r, sort_keys=True) + "\n" for r in moved)
        body: Any = moved[0] if self.form == "object" and len(moved) == 1 else moved
        return json.dumps(body, indent=2, sort_keys=True) + "\n"


def load_template(folder: Path) -> list[TemplateFile]:
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        kind = rel.split("/", 1)[0]
        text = path.read_text()
        if path.suffix == ".jsonl":
            records = tuple(json.loads(line) for line in text.splitlines() if line.strip())
            files.append(TemplateFile(rel, kind, "jsonl", records, text))
        elif path.suffix == ".json":
            data = json.loads(text)
            form = "array" if isinstance(data, list) else "object"
            records = tuple(data) if isinstance(data, list) else (data,)
            files.append(TemplateFile(rel, kind, form, records, text))
        else:
            files.append(TemplateFile(rel, kind, "text", (), text))
    return files


# --------------------------------------------------------------------------- the feed


@dataclass(frozen=True)
class Output:
    path: str
    content: str


def _daily(
    files: Sequence[TemplateFile], through: date, standing: frozenset[str]
) -> Iterator[Output]:
    """Each daily export's newest template day, moved to every day of the window. An
    export is a stream (``probe_result/daily.jsonl``) or a series of dated files
    (``slo_events/2026-11-19.json``); a series is taken from its newest file."""
    series: dict[tuple[str, str], list[TemplateFile]] = {}
    for f in files:
        if f.kind in daily_kinds() and f.path not in standing:
            series.setdefault((f.kind, _DAY.sub("*", f.path)), []).append(f)
    for members in series.values():
        dated = [
            (f, r, d)
            for f in members
            for r in (f.records or (None,))
            if (d := f.day_of(r)) is not None and d <= STORY_DAY
        ]
        if not dated:
            continue  # only after the story's day: not part of the template
        newest = max(d for _f, _r, d in dated)
        chosen: dict[str, list[dict[str, Any]]] = {}
        for f, r, d in dated:
            if d == newest:
                chosen.setdefault(f.path, []).extend([] if r is None else [r])
        for f in (f for f in members if f.path in chosen):
            for offset in range(DAILY_WINDOW + 1):
                day = through - timedelta(days=offset)
                days = (day - newest).days
                yield Output(
                    f"{f.kind}/{day.isoformat()}/{shift_name(f.name, days)}",
                    f.render(chosen[f.path], days),
                )


def _drills(
    files: Sequence[TemplateFile], through: date, standing: frozenset[str]
) -> Iterator[Output]:
    restore_done = False
    for f in files:
        if f.kind != "drill_report" or f.path in standing or not f.records:
            continue
        record = f.records[0]
        finished = f.day_of(record)
        if finished is None:
            continue
        if record.get("kind") == "backup_restore":
            if not restore_done:
                restore_done = True
                yield from _restore_week(record, through)
            continue
        period = (STORY_DAY - finished).days
        if period <= 0:
            continue  # after the story's day: not part of the template
        # the two newest repetitions on or before ``through``, on the template's rhythm
        k = (through - finished).days // period
        for step in (k, k - 1):
            days = step * period
            yield Output(f"drill_report/{shift_name(f.name, days)}", f.render([record], days))


def _restore_week(template: dict[str, Any], through: date) -> Iterator[Output]:
    for offset in range(DAILY_WINDOW + 1):
        day = through - timedelta(days=offset)
        if day.weekday() not in RESTORE_WEEK:
            continue
        outcome, hour = RESTORE_WEEK[day.weekday()]
        start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        record = {
            **template,
            "started_at": _iso(start),
            "finished_at": _iso(start + timedelta(hours=1)),
            "outcome": outcome,
            "report_url": f"https://drills.example.com/restore/{day.isoformat()}",
        }
        if outcome != "passed":
            record["scenario"] = "skipped: the staging refresh window was missed"
        yield Output(
            f"drill_report/backup-restore-{day.isoformat()}.json",
            json.dumps(record, indent=2, sort_keys=True) + "\n",
        )


def _quarters(through: date) -> list[tuple[int, int]]:
    """``through``'s quarter and the one before."""
    current = quarter_of(through)
    return [previous_quarter(*current), current]


def _signoffs(files: Sequence[TemplateFile], through: date) -> Iterator[Output]:
    for f in files:
        if f.kind != "attestation":
            continue
        renewed: dict[tuple[int, int], list[dict[str, Any]]] = {}
        lapsed = []
        for record in f.records:
            signed = parse_timestamp(record["signed_at"])
            if attestation_expiry(signed) < STORY_DAY:
                lapsed.append(record)
                continue
            offset = signed - datetime.combine(
                quarter_start(*quarter_of(signed.date())), datetime.min.time(), UTC
            )
            for quarter in _quarters(through):
                start = datetime.combine(quarter_start(*quarter), datetime.min.time(), UTC)
                if (start + offset).date() <= through:
                    renewed.setdefault(quarter, []).append(
                        {**record, "signed_at": _iso(start + offset)}
                    )
        for quarter, records in renewed.items():
            yield Output(
                f"attestation/{quarter_label(*quarter)}/{f.name}",
                "".join(json.dumps(r, sort_keys=True) + "\n" for r in records),
            )
        if lapsed:
            yield Output(
                f"attestation/{f.name}",
                "".join(json.dumps(r, sort_keys=True) + "\n" for r in lapsed),
            )


def _waivers(files: Sequence[TemplateFile], through: date) -> Iterator[Output]:
    standing: list[dict[str, str]] = [
        {k: str(r[k]) for k in ("item", "reason", "approver", "reference") if k in r}
        for f in files
        if f.kind == "waiver"
        for r in f.records
    ]
    for quarter in _quarters(through):
        start = quarter_start(*quarter)
        if start > through:
            continue
        for waiver in standing:
            record = {
                **waiver,
                "granted_at": _iso(datetime.combine(start, datetime.min.time(), UTC)),
                "expires": (quarter_end(*quarter) + timedelta(days=14)).isoformat(),
            }
            name = waiver.get("reference") or waiver["item"]
            if not _SAFE_NAME.fullmatch(name):  # it becomes a path: never one outside
                continue
            yield Output(
                f"waiver/{quarter_label(*quarter)}/{name}.json",
                json.dumps(record, indent=2, sort_keys=True) + "\n",
            )


def _month_start(day: date, back: int) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def _cost_reports(files: Sequence[TemplateFile], through: date) -> Iterator[Output]:
    for f in files:
        if f.kind != "cost_report":
            continue
        for back in (1, 2):  # the last two finished months
            start = _month_start(through, back)
            end = _month_start(through, back - 1) - timedelta(days=1)
            records = [
                {
                    **r,
                    "period_start": f"{start.isoformat()}T00:00:00Z",
                    "period_end": f"{end.isoformat()}T23:59:59Z",
                }
                for r in f.records
            ]
            yield Output(f"cost_report/{start:%Y-%m}.json", f.render(records, 0))


def feed_outputs(files: Sequence[TemplateFile], service: str, through: date) -> list[Output]:
    """Everything the sample teams' tooling had written for ``service`` by ``through``."""
    standing = STANDING.get(service, frozenset())
    outputs = [Output(f.path, f.text) for f in files if f.path in standing]
    outputs += _daily(files, through, standing)
    outputs += _drills(files, through, standing)
    outputs += _signoffs(files, through)
    outputs += _waivers(files, through)
    outputs += _cost_reports(files, through)
    known = {"drill_report", "attestation", "waiver", "cost_report", *daily_kinds()}
    outputs += [Output(f.path, f.text) for f in files if f.kind not in known]
    return outputs


def _write_once(path: Path, content: str) -> None:
    """Write ``content`` at ``path`` unless it exists; atomic, so a concurrent reader or
    writer sees the whole file or none."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".feed-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as stream:
            stream.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def feed(
    template: Path,
    target: Path,
    service: str,
    as_of: datetime,
    events: str = "",
) -> int:
    """Bring ``target`` up to ``as_of``'s day; returns how many files were written. A service
    without a template folder gets nothing (its team writes its own evidence). What it wrote
    is published as one evidence event to ``events`` (a Redis URL), as the teams' tooling
    would."""
    through = as_of.astimezone(UTC).date()
    marker = target / ".feed" / f"v{VERSION}-{through.isoformat()}"
    if marker.exists() or not template.is_dir():
        return 0
    written: list[str] = []
    for output in feed_outputs(load_template(template), service, through):
        path = target / output.path
        if not path.exists():
            _write_once(path, output.content)
            written.append(output.path)
    _write_once(marker, f"{len(written)}\n")
    if events and written:
        publish(events, service, written)
    return len(written)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def service_store(root: str, base: Path, spec: ServiceSpec, as_of: datetime) -> EvidenceStore:
    """``samplefeed://<folder>`` as an evidence root (``evidence.store.SERVICE_ROOTS``): the
    service's folder under ``<folder>``, first brought up to ``as_of`` from the story's
    template, then read as a local store."""
    folder = Path(root[len(SCHEME) :])
    folder = (folder if folder.is_absolute() else base / folder) / spec.service
    events = load_settings(project_root=base).evidence_events
    feed(base / TEMPLATE / spec.service, folder, spec.service, as_of, events)
    return open_store(str(folder), base)


def grant_store(root: str, base: Path, spec: ServiceSpec, as_of: datetime) -> EvidenceStore:
    """``samplegrants://<folder>`` as an exemptions root: the sample risk register's grants
    for the service, renewed up to ``as_of`` from ``samples/exemptions``."""
    folder = Path(root[len(GRANTS_SCHEME) :])
    folder = (folder if folder.is_absolute() else base / folder) / spec.service
    feed(base / GRANTS_TEMPLATE / spec.service, folder, spec.service, as_of)
    return open_store(str(folder), base)
