"""Terminal rendering for SREs: one table per service, failing items with reasons."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from readiness.domain.model import SATISFIED, STATUS_TABLE, ServiceEvaluation, Status
from readiness.history import ServiceSnapshot
from readiness.pipeline.run_report import RunReport
from readiness.support.markdown import natural_key

STATUS_STYLE = {s.value: traits.console_style for s, traits in STATUS_TABLE.items()}


def level_text(achieved: str, target: str, previous: str | None, rank_ok: bool) -> Text:
    text = Text()
    text.append(achieved, style="bold green" if rank_ok else "bold red")
    text.append(f" / target {target}")
    if previous is not None and previous != achieved:
        text.append(f"  (was {previous})", style="yellow")
    return text


def render_evaluation(console: Console, ev: ServiceEvaluation, issues: Any = None) -> None:
    ok = not ev.below_target
    title = Text(f"{ev.service}  ")
    title.append_text(level_text(ev.achieved_level, ev.target_level, ev.previous_level, ok))
    counts = ev.counts()
    summary = "  ".join(f"{k} {v}" for k, v in counts.items() if v)
    table = Table(
        title=title,
        caption=f"{len(ev.items)} items: {summary}",
        show_lines=False,
        title_justify="left",
        caption_justify="left",
        expand=False,
    )
    table.add_column("item", style="bold", no_wrap=True)
    table.add_column("title", max_width=28, overflow="ellipsis", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason", overflow="fold")
    shown = [
        r
        for r in ev.items
        if r.effective_status not in SATISFIED
        or r.regressed
        or r.status is Status.WAIVED
        or r.status is Status.ERROR
    ]
    shown.sort(key=lambda r: (ev.checklist.rank(r.required_from), natural_key(r.item.id)))
    for r in shown:
        status = Text(r.status.value, style=STATUS_STYLE[r.status.value])
        if r.regressed:
            status.append(" ↓", style="bold red")
        span = r.required_from + (f"–{r.item.required_until}" if r.item.required_until else "")
        table.add_row(r.item.id, r.item.title, span, status, r.reason[:300])
    console.print(table)
    if ev.regressions:
        console.print(
            f"  [bold red]{len(ev.regressions)} regression(s):[/] "
            + ", ".join(r.item.id for r in ev.regressions)
        )
    if issues is not None and (issues.opened or issues.closed or issues.commented or issues.failed):
        parts = []
        if issues.opened:
            parts.append(f"opened {', '.join(issues.opened)}")
        if issues.commented:
            parts.append(f"commented {', '.join(issues.commented)}")
        if issues.closed:
            parts.append(f"closed {', '.join(issues.closed)}")
        if issues.failed:
            parts.append(f"[red]deferred {', '.join(issues.failed)}[/]")
        if getattr(issues, "error", None):
            parts.append(f"[red]stopped: {issues.error}[/]")
        console.print("  issues: " + "; ".join(parts))
    console.print()


def render_report(console: Console, report: RunReport) -> None:
    for ev in report.evaluations:
        render_evaluation(console, ev, report.issues.get(ev.service))
    overview = Table(
        title=f"Readiness as of {report.as_of.isoformat()}"
        + ("  (dry run: nothing recorded)" if report.dry_run else ""),
        title_justify="left",
    )
    signed = {v.service: v for v in report.verdicts}
    columns = ["service", "achieved", "target", "previous", "regressions"]
    for column in columns + (["verdict"] if signed else []):
        overview.add_column(column)
    for ev in report.evaluations:
        ok = not ev.below_target
        verdict = signed.get(ev.service)
        overview.add_row(
            ev.service,
            Text(ev.achieved_level, style="green" if ok else "red"),
            ev.target_level,
            ev.previous_level or "-",
            str(len(ev.regressions)),
            *([f"#{verdict.sequence}"] if verdict else []),  # the hash: status, gate, --json
        )
    console.print(overview)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


def evaluation_json(report: RunReport) -> dict[str, Any]:
    services = []
    signed = {v.service: v.reference for v in report.verdicts}
    for ev in report.evaluations:
        services.append(
            {
                "service": ev.service,
                "run_id": ev.run_id,
                "verdict": signed.get(ev.service),
                "achieved_level": ev.achieved_level,
                "previous_level": ev.previous_level,
                "target_level": ev.target_level,
                "downgraded": ev.downgraded,
                "counts": ev.counts(),
                "issues": vars(report.issues[ev.service]) if ev.service in report.issues else None,
                "items": [
                    {
                        "item_id": r.item.id,
                        "section": r.item.section,
                        "title": r.item.title,
                        "required_from": r.required_from,
                        "status": r.status.value,
                        "effective_status": r.effective_status.value,
                        "previous_status": r.previous_status.value if r.previous_status else None,
                        "regressed": r.regressed,
                        "reason": r.reason,
                        "evidence_uri": r.evidence.uri if r.evidence else None,
                        "evidence_sha256": r.evidence.sha256 if r.evidence else None,
                    }
                    for r in ev.items
                ],
            }
        )
    return {
        "run_key": report.run_key,
        "as_of": report.as_of.isoformat(),
        "dry_run": report.dry_run,
        "services": services,
        "problems": [str(p) for p in report.problems],
        "warnings": report.warnings,
    }


EXEMPTION_STYLE = {"requested": "yellow", "granted": "green", "refused": "red", "lapsed": "red"}


def render_snapshot(console: Console, snap: ServiceSnapshot) -> None:
    ok = not snap.below_target
    title = Text(f"{snap.service}  ")
    title.append_text(level_text(snap.achieved_level, snap.target_level, snap.previous_level, ok))
    title.append(f"   as of {snap.evaluated_at.isoformat()}", style="dim")
    table = Table(title=title, title_justify="left")
    table.add_column("item", overflow="fold")
    table.add_column("title", max_width=28, overflow="ellipsis", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for row in snap.failing:
        table.add_row(
            row["item_id"],
            row.get("title") or "",
            row["required_from"],
            Text(row["status"], style=STATUS_STYLE.get(row["status"], "")),
            (row["reason"] or "")[:300],
        )
    for row in snap.in_grace:  # a broken source, still counted as its last status
        table.add_row(
            row["item_id"],
            row.get("title") or "",
            row["required_from"],
            Text("error (in grace)", style=STATUS_STYLE.get("error", "")),
            (row["reason"] or "")[:300],
        )
    console.print(table)
    if snap.overridden:  # the rules this service runs differ from the checklist's
        modified = Table(title="rules changed by the service spec", title_justify="left")
        for column in ("item", "status", "override"):
            modified.add_column(column, overflow="fold")
        for row in snap.overridden:
            modified.add_row(
                row["item_id"],
                Text(row["effective_status"], style=STATUS_STYLE.get(row["effective_status"], "")),
                row["spec_override"],
            )
        console.print(modified)
    if snap.exemptions:  # what the team asked for, and whether anyone granted it
        asked = Table(title="exemptions", title_justify="left")
        for column in ("request", "item", "kind", "state", "where it stands"):
            asked.add_column(column, overflow="fold")
        for state in snap.exemptions:
            request = state["request"]
            asked.add_row(
                request["id"],
                request["item"] or "—",
                request["kind"],
                Text(state["state"], style=EXEMPTION_STYLE.get(state["state"], "")),
                state["words"],
            )
        console.print(asked)
