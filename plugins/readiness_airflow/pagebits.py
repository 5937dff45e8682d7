"""HTML pieces of the readiness pages: escaping, the only links a page may make, the
portfolio's cells. No FastAPI and no history here: what a cell shows is a pure function."""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["LINKABLE", "_due_cell", "_e", "_lapse_cell", "_link", "_pager", "_spark", "_timeline"]


def _lapse_cell(lapse: dict[str, Any] | None) -> str:
    """Sortable by date; the causes' ids, the titles are on the service page."""
    if lapse is None:
        return "<td data-v='9999'>—</td>"
    at = str(lapse["at"])
    causes = ", ".join(_e(c["item_id"]) for c in lapse["causes"][:3])
    more = len(lapse["causes"]) - 3
    return (
        f"<td data-v='{_e(at)}'><b>{_e(lapse['level'])}</b> on {_e(at[:10])} "
        f"<span class='muted'>→ {_e(lapse['falls_to'])}: {causes}"
        + (f" +{more}" if more > 0 else "")
        + "</span></td>"
    )


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


#: Schemes a page may link to. Anything else (``javascript:``, ``data:``) from a spec or
#: evidence is shown as text: links are built from what service teams write.
LINKABLE = ("http://", "https://", "gs://")


def _link(uri: Any, text: Any = None, *, css: str = "", new_tab: bool = False) -> str:
    """An escaped link to ``uri`` if its scheme is http(s) or gs, else its escaped text."""
    shown = _e(uri if text is None else text)
    value = "" if uri is None else str(uri).strip()
    if not value.lower().startswith(LINKABLE):
        return f"<span class='{css}'>{shown}</span>" if css else shown
    attrs = (f" class='{css}'" if css else "") + (
        " target='_blank' rel='noopener noreferrer'" if new_tab else ""
    )
    return f"<a href='{_e(value)}'{attrs}>{shown}</a>"


def _spark(points: list[tuple[str, int]], top: int = 4, width: int = 120, height: int = 24) -> str:
    """The level as an inline SVG step line on a time axis (small on the portfolio, whose
    trend is one point a day where the level changed; a service's is one per run)."""
    line = [(_when(at), rank) for at, rank in points]
    if len(line) < 2:
        return "<span class='muted'>—</span>"
    first, span = line[0][0], max((line[-1][0] - line[0][0]).total_seconds(), 1.0)
    scale = (height - 4) / max(top, 1)
    path = _steps(
        line,
        lambda at: (width - 2) * (at - first).total_seconds() / span + 1,
        lambda rank: height - 2 - rank * scale,
    )
    return (
        f"<svg width='{width}' height='{height}' role='img' aria-label='level trend'>"
        f"<path d='{path}' fill='none' stroke='#2563eb' stroke-width='1.5'/></svg>"
    )


def _when(at: str) -> datetime:
    """A point's moment: a run's timestamp or a day (its midnight); history is UTC."""
    moment = datetime.fromisoformat(at)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _steps(
    line: list[tuple[datetime, int]],
    x: Callable[[datetime], float],
    y: Callable[[int], float],
) -> str:
    """An SVG path that holds each level until the next point, then steps."""
    out: list[str] = []
    previous: int | None = None
    for at, rank in line:
        if previous is not None:
            out.append(f"L{x(at):.1f},{y(previous):.1f}")
        out.append(f"{'M' if previous is None else 'L'}{x(at):.1f},{y(rank):.1f}")
        previous = rank
    return " ".join(out)


def _due_cell(service: str, due: list[dict[str, Any]]) -> str:
    """The soonest thing to renew and a count; the list is on the service page (eighteen
    unsigned sign-offs in one cell read as a paragraph nobody acts on)."""
    if not due:
        return ""
    dated = sorted((d for d in due if d.get("expires")), key=lambda d: str(d["expires"]))
    unsigned = len(due) - len(dated)
    lead = dated[0] if dated else due[0]
    first = (
        f"{_e(lead['item_id'])} {_e(lead['kind'])}"
        + (f" {_e(lead.get('role'))}" if lead.get("role") else "")
        + f" ({_e(lead.get('expires') or 'unsigned')})"
    )
    counts = f"{len(due)} due" + (f", {unsigned} unsigned" if unsigned else "")
    more = f"<a href='services/{_e(service)}'>{counts}</a>" if len(due) > 1 else ""
    return f"<b>{first}</b>" + (f"<br><span class='muted'>{more}</span>" if more else "")


def _timeline(
    past: list[tuple[str, int]],
    future: list[tuple[str, int]],
    top: int,
    width: int = 600,
    height: int = 70,
) -> str:
    """The level as a step line on a time axis: history solid, then the forecast (if
    nothing is renewed) dashed in another colour, from the latest evaluation onwards."""
    points = [(_when(at), rank) for at, rank in past]
    ahead = [(_when(at), rank) for at, rank in future]
    if len(points) + len(ahead) < 2:
        return "<span class='muted'>—</span>"
    first, last = (points or ahead)[0][0], (ahead or points)[-1][0]
    span = max((last - first).total_seconds(), 1.0)
    scale = (height - 16) / max(top + 1, 1)

    def x(at: datetime) -> float:
        return 4 + (width - 8) * (at - first).total_seconds() / span

    def y(rank: int) -> float:
        return height - 12 - (rank + 1) * scale

    solid = f"<path d='{_steps(points, x, y)}' fill='none' stroke='#2563eb' stroke-width='2'/>"
    dashed = (
        f"<path d='{_steps(ahead, x, y)}' fill='none' stroke='#b45309' stroke-width='2' "
        "stroke-dasharray='5 4'/>"
        if len(ahead) > 1
        else ""
    )
    label = (
        f"<text x='{x(ahead[0][0]) + 4:.1f}' y='{height - 1}' font-size='10' fill='#b45309'>"
        "forecast if nothing is renewed</text>"
        if len(ahead) > 1
        else ""
    )
    return (
        f"<svg width='{width}' height='{height}' role='img' "
        "aria-label='level over time, and forecast'>" + solid + dashed + label + "</svg>"
    )


def _pager(page: int, size: int, total: int, filters: dict[str, str | None]) -> str:
    """Links to the previous and next pages, keeping the filters."""
    pages = max(1, -(-total // size))
    if pages == 1:
        return ""
    kept = {k: v for k, v in filters.items() if v}

    def link(to: int, text: str) -> str:
        query = urllib.parse.urlencode({**kept, "page": to})
        return f"<a href='?{_e(query)}'>{text}</a>"

    first = (page - 1) * size + 1
    shown = f"services {first}–{min(page * size, total)} of {total}" if page <= pages else ""
    return (
        "<p class='pager'>"
        + (link(min(page - 1, pages), "← previous") + " " if page > 1 else "")
        + f"<span class='muted'>{shown or f'page {page} of {pages}'}</span>"
        + (" " + link(page + 1, "next →") if page < pages else "")
        + "</p>"
    )
