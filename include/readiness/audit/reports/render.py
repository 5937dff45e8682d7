"""The quarterly report as Markdown and as one self-contained HTML page (CSS and SVG charts
inline: it opens from a bucket, an e-mail attachment or a laptop with no network).

Every text that came from history (titles, reasons, approvers) is escaped: evidence and
specs are written by many teams."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

from readiness.audit.reports.quarterly import Episode, LevelPoint, QuarterReport, ServiceQuarter
from readiness.support.markdown import escape as md

#: One colour per rank (none, L0 … L4 and beyond), from red to green.
_LEVEL_COLOURS = ["#d64545", "#e8833a", "#e6b83c", "#9cc654", "#3fa66a", "#1f7a8c", "#335c99"]
_INK, _MUTED, _GRID = "#1d2433", "#6b7385", "#e3e6ec"
Rows = list[tuple[str, ...]]


def level_colour(rank: int) -> str:
    return _LEVEL_COLOURS[max(0, min(rank + 1, len(_LEVEL_COLOURS) - 1))]


def days_text(seconds: float) -> str:
    return f"{seconds / 86400:.1f} d"


def pct_text(share: float) -> str:
    return f"{share * 100:.0f} %"


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def remediation_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} d"


# --------------------------------------------------------------------------- SVG


def _segments(
    report: QuarterReport, sq: ServiceQuarter
) -> Iterator[tuple[LevelPoint, datetime, datetime]]:
    """Each evaluation with the stretch of the period it holds (until the next one)."""
    points = sq.timeline
    for pos, point in enumerate(points):
        until = points[pos + 1].at if pos + 1 < len(points) else report.period_end
        begin, end = max(point.at, report.start), min(until, report.period_end)
        if end > begin:
            yield point, begin, end


def timeline_svg(report: QuarterReport, sq: ServiceQuarter, width: int = 760) -> str:
    """A step chart of the achieved level across the quarter, the target as a dashed line and
    the time below target shaded; quarterly runs are marked."""
    ranks = sorted(sq.levels)
    top, bottom, left, right = 18, 34, 64, 16
    row_h = 30
    height = top + bottom + row_h * (len(ranks) - 1)
    span = (report.end - report.start).total_seconds()

    def x(at: datetime) -> float:
        clipped = min(max(at, report.start), report.end)
        return left + (width - left - right) * (clipped - report.start).total_seconds() / span

    def y(rank: int) -> float:  # one row per level seen, "none" at the bottom
        return top + row_h * (len(ranks) - 1 - ranks.index(rank))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="width:100%;height:auto" role="img" '
        f'aria-label="{html.escape(sq.service)} level timeline {report.quarter}" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">'
    ]
    for rank in ranks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(rank)}" y2="{y(rank)}" '
            f'stroke="{_GRID}"/>'
            f'<text x="{left - 8}" y="{y(rank) + 4}" text-anchor="end" fill="{_MUTED}">'
            f"{html.escape(sq.levels[rank])}</text>"
        )
    month = report.start
    while month < report.end:
        parts.append(
            f'<line x1="{x(month):.1f}" x2="{x(month):.1f}" y1="{top - 6}" '
            f'y2="{height - bottom + 4}" stroke="{_GRID}"/>'
            f'<text x="{x(month) + 4:.1f}" y="{height - bottom + 18}" fill="{_MUTED}">'
            f"{month:%b %Y}</text>"
        )
        month = (month.replace(day=1) + timedelta(days=32)).replace(day=1)
    if report.in_progress:
        parts.append(
            f'<rect x="{x(report.period_end):.1f}" y="{top - 6}" '
            f'width="{x(report.end) - x(report.period_end):.1f}" '
            f'height="{height - bottom - top + 10}" fill="#f4f5f8"/>'
        )
    points = sq.timeline
    segments = list(_segments(report, sq))
    # time below target, shaded
    for point, begin, end in segments:
        if point.rank < point.target_rank:
            parts.append(
                f'<rect x="{x(begin):.1f}" y="{y(point.target_rank):.1f}" '
                f'width="{x(end) - x(begin):.1f}" '
                f'height="{y(point.rank) - y(point.target_rank):.1f}" fill="#d64545" '
                'fill-opacity="0.10"/>'
            )
    if points:
        target = points[-1].target_rank
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(target)}" y2="{y(target)}" '
            f'stroke="{_INK}" stroke-dasharray="5 4" stroke-opacity="0.55"/>'
            f'<text x="{width - right}" y="{y(target) - 5}" text-anchor="end" '
            f'fill="{_MUTED}">target {html.escape(points[-1].target_level)}</text>'
        )
        path: list[str] = []
        for point, begin, end in segments:
            x0, x1 = x(begin), x(end)
            path.append(f"{'M' if not path else 'L'}{x0:.1f},{y(point.rank):.1f}")
            path.append(f"L{x1:.1f},{y(point.rank):.1f}")
            parts.append(
                f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y(point.rank)}" '
                f'y2="{y(point.rank)}" stroke="{level_colour(point.rank)}" '
                'stroke-width="6" stroke-opacity="0.35"/>'
            )
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{_INK}" stroke-width="2"/>')
        for point in points:
            if point.trigger == "quarterly" and report.start <= point.at <= report.end:
                parts.append(
                    f'<circle cx="{x(point.at):.1f}" cy="{y(point.rank)}" r="4.5" '
                    f'fill="white" stroke="{_INK}" stroke-width="2">'
                    f"<title>quarterly revalidation {_date(point.at)}</title></circle>"
                )
    parts.append("</svg>")
    return "".join(parts)


def ribbon_svg(report: QuarterReport, sq: ServiceQuarter, width: int = 220) -> str:
    """The quarter as one bar coloured by level: the portfolio's at-a-glance timeline."""
    height = 14
    span = (report.end - report.start).total_seconds()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(sq.service)} levels across {report.quarter}">'
        f'<rect width="{width}" height="{height}" rx="3" fill="#eef0f4"/>'
    ]
    merged: list[tuple[LevelPoint, datetime, datetime]] = []
    for point, begin, end in _segments(report, sq):  # one bar per stretch at one level
        if merged and merged[-1][0].rank == point.rank and merged[-1][2] == begin:
            merged[-1] = (merged[-1][0], merged[-1][1], end)
        else:
            merged.append((point, begin, end))
    for point, begin, end in merged:
        x0 = width * (begin - report.start).total_seconds() / span
        x1 = width * (end - report.start).total_seconds() / span
        parts.append(
            f'<rect x="{x0:.1f}" width="{x1 - x0:.1f}" height="{height}" '
            f'fill="{level_colour(point.rank)}"><title>{html.escape(point.level)} from '
            f"{_date(begin)}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- tables
# Each table is defined once; Markdown and HTML differ only in how a cell is escaped
# (``esc``) and how an alarming value is marked (``mark``: state name → cell).

Cell = Callable[[str], str]

REGRESSIONS = ("item", "title", "regressed", "remediated", "time to remediate", "issue")
FAILING = ("item", "title", "required from", "failing", "status at end", "failing since")
WAIVERS = ("waiver", "expires", "approver", "reason")
SIGNOFFS = ("item", "role", "signed by", "signed", "counts until", "state")
OVERRIDES = ("item", "title", "what the service spec changes")
LAPSES = ("on", "level", "falls to", "because")


def regression_rows(sq: ServiceQuarter, esc: Cell, mark: Callable[[str, str], str]) -> Rows:
    return [
        (
            esc(e.item_id),
            esc(e.title),
            _date(e.opened_at),
            _date(e.closed_at) if e.closed_at else mark("bad", "still failing"),
            remediation_text(e.days_to_remediate),
            esc(e.issue_key or _no_issue(sq, e)),
        )
        for e in sq.episodes
    ]


def _no_issue(sq: ServiceQuarter, e: Episode) -> str:
    """Why an episode has no issue: the lifecycle opens one only for an item that costs a
    level the service held or targets (docs/design.md §6)."""
    ranks = {level: rank for rank, level in sq.levels.items()}
    if ranks.get(e.required_from, -1) > ranks.get(sq.target_level, -1):
        return f"none: {e.required_from} is above the target {sq.target_level}"
    return "none recorded (the tracker did not take it)"


def failing_rows(sq: ServiceQuarter, esc: Cell) -> Rows:
    return [
        (
            esc(f.item_id),
            esc(f.title),
            esc(f.required_from),
            days_text(f.failing_seconds),
            esc(f.status_at_end),
            _date(f.failing_since) if f.failing_since else "passing at end",
        )
        for f in sq.failing_longest
    ]


def waiver_rows(sq: ServiceQuarter, esc: Cell) -> Rows:
    return [
        (
            f"{esc(w.item_id)} {esc(w.reference)}".strip(),
            w.expires.isoformat(),
            esc(w.approver),
            esc(w.reason),
        )
        for w in sq.waivers
    ]


EXEMPTIONS = ("request", "item", "state", "where it stands")


def exemption_rows(sq: ServiceQuarter, esc: Cell) -> Rows:
    return [(esc(i), esc(item), esc(state), esc(words)) for i, item, state, words in sq.exemptions]


def exemption_summary(sq: ServiceQuarter) -> str:
    """The quarter's exemption events in one line: what was asked, granted, refused, lapsed."""
    return ", ".join(f"{n} {event}" for event, n in sq.exemption_events.items()) or "none"


def override_rows(sq: ServiceQuarter, esc: Cell) -> Rows:
    return [(esc(item), esc(title), esc(text)) for item, title, text in sq.overrides]


def signoff_rows(sq: ServiceQuarter, esc: Cell, mark: Callable[[str, str], str]) -> Rows:
    return [
        (
            esc(s.item_id),
            esc(s.role),
            esc(s.signer or "-"),
            _date(s.signed_at),
            s.expires_on.isoformat() if s.expires_on else "-",
            mark(f"state-{s.state}", s.state),
        )
        for s in sq.signoffs
    ]


def lapse_rows(sq: ServiceQuarter, esc: Cell) -> Rows:
    return [
        (
            esc(str(d["at"])[:10]),
            esc(d["level"]),
            esc(d["falls_to"]),
            esc("; ".join(f"{c['item_id']} {c['why']}" for c in d["causes"])),
        )
        for d in sq.lapses or []
    ]


LAPSES_NOTE = "forecast from the period's last evaluation, if nothing is renewed"


def _md_table(headers: Sequence[str], rows: Rows) -> list[str]:
    if not rows:
        return ["None."]
    return [
        "| " + " | ".join(headers) + " |",
        "|" + " --- |" * len(headers),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _plain(_kind: str, text: str) -> str:
    return text


# --------------------------------------------------------------------------- Markdown


def svg_name(report: QuarterReport, sq: ServiceQuarter) -> str:
    return f"readiness-{report.quarter}-{sq.service}.svg"


def end_word(report: QuarterReport) -> str:
    """What "the end" is: the quarter's end, or now for a quarter in progress."""
    return "now" if report.in_progress else "at quarter end"


def period_text(report: QuarterReport) -> str:
    last = report.end - timedelta(days=1)
    text = f"{_date(report.start)} – {_date(last)}"
    if report.in_progress:
        text += f" (in progress: figures up to {report.period_end:%Y-%m-%d %H:%M} UTC)"
    return text


def render_markdown(report: QuarterReport) -> str:
    lines = [
        f"# Readiness quarterly report {report.quarter}",
        "",
        f"Period {period_text(report)}. Generated {report.generated_at:%Y-%m-%d %H:%M} UTC "
        f"from the history tables ({report.backend}).",
        "",
        "## Portfolio",
        "",
    ]
    if not report.services:
        lines.append("No service was evaluated by the end of this quarter.")
    else:
        lines += [
            f"| service | level {end_word(report)} | target | time below target | regressions "
            "opened / closed | median time to remediate | sign-offs due | waivers due |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for sq in report.services:
            lines.append(
                f"| [{md(sq.service)}](#{sq.service}) | {sq.level_at_end or '-'} | "
                f"{sq.target_level} | {days_text(sq.below_target_seconds)} "
                f"({pct_text(sq.below_target_share)}) | {sq.opened} / {sq.closed} | "
                f"{remediation_text(sq.median_days_to_remediate)} | {len(sq.signoffs)} | "
                f"{len(sq.waivers)} |"
            )
    for sq in report.services:
        lines += ["", f'<a id="{sq.service}"></a>', "", f"## {md(sq.service)}", ""]
        lines += [
            f"- Level {end_word(report)}: **{sq.level_at_end or '-'}** (target {sq.target_level}; "
            f"at the start: {sq.level_at_start or 'not evaluated yet'}).",
            f"- Time below target: **{days_text(sq.below_target_seconds)}** of "
            f"{days_text(sq.observed_seconds)} observed ({pct_text(sq.below_target_share)}).",
            f"- Regressions: {sq.opened} opened, {sq.closed} closed; median time to "
            f"remediate {remediation_text(sq.median_days_to_remediate)}.",
            "",
            f"![{md(sq.service)} level timeline]({svg_name(report, sq)})",
            "",
            "Level changes: "
            + (
                " → ".join(
                    f"{p.level} ({_date(p.at)})"
                    for pos, p in enumerate(sq.timeline)
                    if pos == 0 or sq.timeline[pos - 1].level != p.level
                )
                or "-"
            ),
            "",
            "### Regressions",
            "",
        ]
        lines += _md_table(REGRESSIONS, regression_rows(sq, md, _plain))
        lines += ["", "### Items failing longest", ""]
        lines += _md_table(FAILING, failing_rows(sq, md))
        lines += ["", f"### Waivers and sign-offs due by the end of {report.next_quarter}", ""]
        if sq.waivers:
            lines += [*_md_table(WAIVERS, waiver_rows(sq, md)), ""]
        if sq.signoffs:
            lines += _md_table(SIGNOFFS, signoff_rows(sq, md, _plain))
        if not sq.waivers and not sq.signoffs:
            lines.append("Nothing due.")
        if sq.lapses is not None:
            lines += [
                "",
                f"### Lapses forecast in {report.next_quarter}",
                "",
                f"_{LAPSES_NOTE}_",
                "",
            ]
            lines += _md_table(LAPSES, lapse_rows(sq, md))
        if sq.overrides:
            lines += ["", "### Rules changed by the service spec", ""]
            lines += _md_table(OVERRIDES, override_rows(sq, md))
        if sq.exemptions or sq.exemption_events:
            lines += ["", "### Exemptions", "", f"In the quarter: {exemption_summary(sq)}.", ""]
            lines += _md_table(EXEMPTIONS, exemption_rows(sq, md))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML
