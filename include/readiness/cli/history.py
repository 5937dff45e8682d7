"""Commands that read history back: ``status``, ``history``, ``gate``; ``init-warehouse``,
which creates its tables, and ``transfer``, which loads the runs waiting as shards."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from readiness.domain.model import FAILING, Status
from readiness.support.timeutil import utcnow

if TYPE_CHECKING:
    from readiness.history import HistoryStore
    from readiness.spec.config import Settings
from readiness.cli.common import EXIT_FAIL, EXIT_OK, EXIT_UNKNOWN, make_console


def open_history_of(settings: Settings) -> HistoryStore:
    from readiness.history import history_for

    return history_for(settings)


def cmd_init_warehouse(args: argparse.Namespace, settings: Settings) -> int:
    """Schema management on its own (it also happens on a store's first write)."""
    history = open_history_of(settings)
    if args.views and history.backend == "bigquery":
        changes = history.init(force_views=True)  # type: ignore[call-arg]
    else:
        changes = history.init()
    out = make_console(highlight=False)
    where = getattr(settings, "history", "")
    if not changes:
        out.print(f"history at {where} is up to date")
    for change in changes:
        out.print(f"{change}")
    return EXIT_OK


def cmd_transfer(args: argparse.Namespace, settings: Settings) -> int:
    """One batch of the history transfer; fails (1) if a shard had to be moved aside."""
    from readiness.pipeline.transfer import run_transfer

    report = run_transfer(settings, limit=args.limit)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        out = make_console(highlight=False)
        out.print(f"{len(report.runs)} runs loaded, {len(report.verdicts)} verdicts signed")
        for line in report.rejected:
            out.print(f"[red]rejected:[/] {line}")
    return EXIT_FAIL if report.rejected else EXIT_OK


def cmd_gate(args: argparse.Namespace, settings: Settings) -> int:
    from readiness.audit.gate import NO, UNKNOWN, YES, decide
    from readiness.spec.loader import load_catalog

    # deploy logs: one line per finding (no wrapping), evidence text never read as markup
    out = make_console(highlight=False, soft_wrap=True, markup=False)
    catalog = load_catalog(settings.checklist_paths, settings.service_paths)
    if args.service not in catalog.specs:
        out.print(f"unknown: service {args.service!r} is not defined")
        return EXIT_UNKNOWN
    from readiness.pipeline.verdicts import keyring

    gate = decide(
        catalog,
        open_history_of(settings),
        args.service,
        args.level,
        args.as_of or utcnow(),
        args.max_age,
        keyring=keyring(settings),
        from_chain=args.as_of is not None,
    )
    out.print(f"{gate.answer}: {gate.reason}")
    for row in gate.blocking:
        out.print(f"  {row['item_id']} [{row['status']}] {row['reason']}")
    if gate.verdict:
        out.print(f"verdict: {gate.verdict}")
    if gate.promotion is not None:
        verdict = gate.promotion
        met = sum(c.met for c in verdict.criteria)
        out.print(
            f"promotion to {args.level} ({verdict.rule.title}): {met} of "
            f"{len(verdict.criteria)} criteria met"
        )
        for criterion in verdict.criteria:
            mark = "✓" if criterion.met else "✗"
            out.print(f"  {mark} {criterion.name}: {criterion.detail}")
    return {YES: EXIT_OK, NO: EXIT_FAIL, UNKNOWN: EXIT_UNKNOWN}[gate.answer]


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from readiness.cli.console import render_snapshot

    history = open_history_of(settings)
    out = make_console(highlight=False)
    services = [args.service] if args.service else history.services()
    snaps = [s for s in (history.snapshot(name) for name in services) if s is not None]
    verdicts = {s.service: history.run_verdict(s.service, s.run_id) for s in snaps}
    if args.json:
        print(
            json.dumps(
                [
                    {**vars(s), "verdict": v.reference if (v := verdicts[s.service]) else None}
                    for s in snaps
                ],
                indent=2,
                default=str,
            )
        )
        return EXIT_OK
    if not snaps:
        out.print("no evaluations recorded yet; run `readiness evaluate`")
    lapses = _next_lapses(settings, history, [s.service for s in snaps])
    for snap in snaps:
        render_snapshot(out, snap)
        verdict = verdicts[snap.service]
        out.print(f"verdict: {verdict.reference if verdict else 'none (recorded before verdicts)'}")
        if snap.service in lapses:
            out.print(f"next lapse: {lapses[snap.service]}", markup=False)
    return EXIT_OK


def _next_lapses(settings: Settings, history: HistoryStore, services: list[str]) -> dict[str, str]:
    """``readiness forecast``'s first line per service (30 days after its latest
    evaluation), for ``status``;
    nothing when the specs do not load (status still shows what history holds)."""
    from readiness.audit.forecast import service_forecast
    from readiness.spec.loader import load_catalog

    try:
        catalog = load_catalog(settings.checklist_paths, settings.service_paths)
    except Exception:  # status reads history; the specs are a bonus here
        return {}
    out = {}
    for service in services:
        # from the latest evaluation, not the wall clock: what it recorded decides the clocks
        ahead = service_forecast(catalog, history, service, None, 30)
        if ahead is not None:
            out[service] = ahead.words()
    return out


def cmd_forecast(args: argparse.Namespace, settings: Settings) -> int:
    """Per service: the next lapse, the level it falls to and the items that cause it; the
    first lapse below target; what falls due within ``--days``."""
    from readiness.audit.forecast import service_forecast
    from readiness.spec.loader import load_catalog

    out = make_console(highlight=False, soft_wrap=True, markup=False)
    if args.days < 1 or args.days > 3660:
        out.print(f"error: --days {args.days}: expected 1 to 3660")
        return EXIT_FAIL
    catalog = load_catalog(settings.checklist_paths, settings.service_paths)
    history = open_history_of(settings)
    as_of = args.as_of or utcnow()
    services = [args.service] if args.service else sorted(catalog.specs)
    found = [
        f for f in (service_forecast(catalog, history, s, as_of, args.days) for s in services) if f
    ]
    if args.json:
        print(json.dumps([f.as_json() for f in found], indent=2))
        return EXIT_OK
    if not found:
        out.print("no evaluations recorded yet; run `readiness evaluate`")
        return EXIT_FAIL if args.service else EXIT_OK
    for f in found:
        out.print(f"{f.service}  {f.level} / target {f.target}: {f.words()}")
        if f.below_target is not None and f.below_target is not f.next:
            out.print(f"  below target: {f.below_target.words()}")
        named = {c.item_id for c in f.next.causes} if f.next else set()
        rest = [c for c in f.due if c.item_id not in named]
        for item in rest[:10]:
            when = item.stops_at.date() if item.stops_at else ""
            out.print(f"  also due {when}  {item.item_id} {item.title}: {item.why}")
        if len(rest) > 10:
            out.print(f"  … and {len(rest) - 10} more within {args.days} days")
        if f.renewed_by_tooling:
            out.print(
                f"  ({f.renewed_by_tooling} item(s) whose tooling renews them every run are "
                "assumed to keep up)"
            )
    return EXIT_OK


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from rich.table import Table

    history = open_history_of(settings)
    timeline = history.timeline(args.service, args.since)
    transitions = [
        t
        for t in history.transitions(args.service, args.since)
        if not args.item or t["item_id"] == args.item
    ]
    if args.json:
        print(json.dumps({"timeline": timeline, "transitions": transitions}, indent=2, default=str))
        return EXIT_OK
    out = make_console(highlight=False)
    table = Table(title=f"{args.service}: level timeline", title_justify="left")
    failing = [s.value for s in Status if s in FAILING]
    for column in ("evaluated_at", "trigger", "level", "target", "regressions", *failing):
        table.add_column(column, no_wrap=column in ("evaluated_at", "level"))
    for row in timeline:
        level = row["achieved_level"]
        if row["previous_level"] and row["previous_level"] != level:
            level = f"{row['previous_level']} → {level}"
        table.add_row(
            f"{row['evaluated_at']:%Y-%m-%d %H:%M}",
            row["trigger"],
            level,
            row["target_level"],
            str(row["regressions"]),
            *(str(row[f"count_{status}"]) for status in failing),
        )
    out.print(table)
    moves = Table(title="item transitions", title_justify="left")
    for column in ("evaluated_at", "item", "from", "to", "reason"):
        moves.add_column(column, overflow="fold")
    for row in transitions:
        to = row["status"] + (" ↓" if row["regressed"] else "")
        moves.add_row(
            f"{row['evaluated_at']:%Y-%m-%d %H:%M}",
            row["item_id"],
            row["previous_status"],
            to,
            (row["reason"] or "")[:200],
        )
    out.print(moves)
    return EXIT_OK
