"""The quarterly report as one self-contained HTML page (inline CSS and SVG, nothing loaded
from elsewhere)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from readiness.audit.reports.quarterly import QuarterReport, ServiceQuarter

#: One colour per rank (none, L0 … L4 and beyond), from red to green.
from readiness.audit.reports.render import (
    EXEMPTIONS,
    FAILING,
    LAPSES,
    LAPSES_NOTE,
    OVERRIDES,
    REGRESSIONS,
    SIGNOFFS,
    WAIVERS,
    Rows,
    days_text,
    end_word,
    exemption_rows,
    exemption_summary,
    failing_rows,
    lapse_rows,
    level_colour,
    override_rows,
    pct_text,
    period_text,
    regression_rows,
    remediation_text,
    ribbon_svg,
    signoff_rows,
    timeline_svg,
    waiver_rows,
)

_CSS = """
:root { --ink:#1d2433; --muted:#6b7385; --line:#e3e6ec; --bg:#f7f8fa; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
header { background:#1d2433; color:#fff; padding:28px 40px 24px; }
header h1 { margin:0 0 4px; font-size:24px; font-weight:650; }
header p { margin:0; color:#c4c9d4; }
main { padding:24px 40px 48px; max-width:1180px; }
h2 { font-size:18px; margin:32px 0 12px; }
h3 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted);
  margin:22px 0 8px; }
.kpis { display:grid; grid-template-columns:repeat(4,1fr); gap:12px; margin:4px 0 8px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:14px 16px; }
.kpi b { display:block; font-size:24px; font-weight:650; }
.kpi b .level { font-size:18px; padding:2px 10px; color:#fff; }
details summary { cursor:pointer; color:var(--muted); margin:6px 0; }
.kpi span { color:var(--muted); font-size:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:12px;
  padding:18px 22px; margin:16px 0; }
table { border-collapse:collapse; width:100%; }
th { text-align:left; font-size:12px; color:var(--muted); font-weight:600;
  border-bottom:1px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
tr:last-child td { border-bottom:0; }
.level { display:inline-block; min-width:38px; text-align:center; border-radius:6px;
  padding:1px 7px; color:#fff; font-weight:600; font-size:12px; }
.muted { color:var(--muted); }
.bad { color:#b42318; font-weight:600; } .ok { color:#1f7a4d; font-weight:600; }
.state-expired { color:#b42318; font-weight:600; } .state-unsigned { color:#b54708; }
a { color:#335c99; text-decoration:none; }
.legend span { display:inline-block; margin-right:12px; font-size:12px; color:var(--muted); }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px;
  margin-right:4px; vertical-align:-1px; }
"""


def _h(value: object) -> str:
    return html.escape(str(value))


def _level(sq: ServiceQuarter, level: str | None) -> str:
    if level is None:
        return '<span class="muted">-</span>'
    rank = next((r for r, name in sq.levels.items() if name == level), -1)
    return f'<span class="level" style="background:{level_colour(rank)}">{_h(level)}</span>'


def render_html(report: QuarterReport) -> str:
    services = report.services
    at_target = sum(1 for s in services if s.at_target)
    opened = sum(s.opened for s in services)
    closed = sum(s.closed for s in services)
    due = sum(len(s.signoffs) for s in services)
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Readiness {report.quarter}</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>Readiness quarterly report {report.quarter}</h1>",
        f"<p>{_h(period_text(report))} · generated {report.generated_at:%Y-%m-%d %H:%M} UTC "
        f"from the history tables ({_h(report.backend)})</p></header><main>",
        "<div class='kpis'>",
        f"<div class='kpi'><b>{at_target} / {len(services)}</b><span>services at target "
        f"{end_word(report)}</span></div>",
        f"<div class='kpi'><b>{opened}</b><span>regressions opened</span></div>",
        f"<div class='kpi'><b>{closed}</b><span>regressions remediated</span></div>",
        f"<div class='kpi'><b>{due}</b><span>sign-offs to renew by the end of "
        f"{report.next_quarter}</span></div>",
        "</div>",
        "<h2>Portfolio</h2><div class='card'><table><tr><th>service</th>"
        f"<th>{report.quarter}</th><th>level {end_word(report)}</th><th>target</th>"
        "<th>time below target</th><th>regressions opened / closed</th>"
        "<th>median time to remediate</th><th>sign-offs due</th><th>waivers due</th></tr>",
    ]
    for sq in services:
        share_class = "bad" if sq.below_target_share > 0.5 else ""
        out.append(
            f"<tr><td><a href='#{_h(sq.service)}'>{_h(sq.service)}</a></td>"
            f"<td>{ribbon_svg(report, sq)}</td><td>{_level(sq, sq.level_at_end)}</td>"
            f"<td>{_level(sq, sq.target_level)}</td>"
            f"<td class='{share_class}'>{days_text(sq.below_target_seconds)} "
            f"({pct_text(sq.below_target_share)})</td><td>{sq.opened} / {sq.closed}</td>"
            f"<td>{remediation_text(sq.median_days_to_remediate)}</td>"
            f"<td>{len(sq.signoffs)}</td><td>{len(sq.waivers)}</td></tr>"
        )
    if not services:
        out.append(
            "<tr><td colspan='9' class='muted'>No service was evaluated by the end of "
            "this quarter.</td></tr>"
        )
    out.append("</table>")
    legend_levels: dict[int, str] = {}
    for sq in services:
        legend_levels.update(sq.levels)
    out.append(
        "<p class='legend'>"
        + "".join(
            f"<span><i style='background:{level_colour(r)}'></i>{_h(n)}</span>"
            for r, n in sorted(legend_levels.items())
        )
        + "</p></div>"
    )
    for sq in services:
        out.append(_service_html(report, sq))
    out.append("</main></body></html>")
    return "\n".join(out)


def _span(kind: str, text: str) -> str:
    return f"<span class='{_h(kind)}'>{_h(text)}</span>"


def _table(headers: Sequence[str], rows: Rows) -> str:
    """Cells are HTML already (escaped by the caller); no rows reads "None."."""
    if not rows:
        return "<p class='muted'>None.</p>"
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _service_html(report: QuarterReport, sq: ServiceQuarter) -> str:
    out = [
        f"<h2 id='{_h(sq.service)}'>{_h(sq.service)}</h2><div class='card'>",
        "<div class='kpis'>",
        f"<div class='kpi'><b>{_level(sq, sq.level_at_end)}</b><span>level {end_word(report)} "
        f"(target {_h(sq.target_level)}; at the start "
        f"{_h(sq.level_at_start or 'not evaluated')})</span></div>",
        f"<div class='kpi'><b>{days_text(sq.below_target_seconds)}</b><span>below target "
        f"({pct_text(sq.below_target_share)} of {days_text(sq.observed_seconds)} "
        "observed)</span></div>",
        f"<div class='kpi'><b>{sq.opened} / {sq.closed}</b><span>regressions opened / "
        "remediated</span></div>",
        f"<div class='kpi'><b>{remediation_text(sq.median_days_to_remediate)}</b><span>median "
        "time to remediate</span></div></div>",
        timeline_svg(report, sq),
        "<h3>Regressions</h3>",
    ]
    out.append(_table(REGRESSIONS, regression_rows(sq, _h, _span)))
    out.append("<h3>Items failing longest</h3>")
    out.append(_table(FAILING, failing_rows(sq, _h)))
    out.append(f"<h3>Waivers and sign-offs due by the end of {report.next_quarter}</h3>")
    if sq.waivers:
        out.append(_table(WAIVERS, waiver_rows(sq, _h)))
    if sq.signoffs:
        states = {
            state: sum(1 for s in sq.signoffs if s.state == state)
            for state in ("expired", "unsigned", "renew")
        }
        summary = ", ".join(f"{n} {state}" for state, n in states.items() if n)
        # a long list stays folded; what is expired or unsigned is always shown
        folded = len(sq.signoffs) > 8 and not (states["expired"] or states["unsigned"])
        out.append(
            f"<details{'' if folded else ' open'}><summary>{len(sq.signoffs)} sign-off(s): "
            f"{summary}</summary>"
        )
        out.append(_table(SIGNOFFS, signoff_rows(sq, _h, _span)) + "</details>")
    if not sq.waivers and not sq.signoffs:
        out.append("<p class='muted'>Nothing due.</p>")
    if sq.lapses is not None:
        out.append(f"<h3>Lapses forecast in {report.next_quarter}</h3>")
        out.append(f"<p class='muted'>{LAPSES_NOTE}</p>")
        out.append(_table(LAPSES, lapse_rows(sq, _h)) if sq.lapses else "<p>None.</p>")
    if sq.overrides:
        out.append("<h3>Rules changed by the service spec</h3>")
        out.append(_table(OVERRIDES, override_rows(sq, _h)))
    if sq.exemptions or sq.exemption_events:
        out.append("<h3>Exemptions</h3>")
        out.append(f"<p>In the quarter: {_h(exemption_summary(sq))}.</p>")
        out.append(_table(EXEMPTIONS, exemption_rows(sq, _h)))
    out.append("</div>")
    return "\n".join(out)
