"""Readiness inside the Airflow UI: a FastAPI app the plugin mounts on the api-server at
``/readiness``, behind Airflow's own authentication.

- ``/readiness/`` — the portfolio (nav entry "Readiness"): one row per service.
- ``/readiness/services/{service}`` and ``/readiness/dags/{dag_id}`` (the tab on a service
  DAG's page) — the service: items by section, what blocks the next level, the runs.
- ``/readiness/api/v1/services`` and ``/readiness/api/v1/services/{service}`` — the same as
  JSON, described in ``/readiness/openapi.json``.

Every route needs an authenticated Airflow user (a bearer token or the UI's session cookie:
``get_user``), and a user sees only the services whose DAGs the auth manager lets them read
(``get_authorized_dag_ids``). A service they may not read answers 404, as one that does not
exist. Evidence text, reasons and names are untrusted: every value is HTML-escaped, and no
request value reaches SQL except as a bound parameter."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse

from readiness.domain.model import status_css
from readiness_airflow.pagebits import (
    _due_cell,
    _e,
    _lapse_cell,
    _link,
    _pager,
    _spark,
    _timeline,
)

PREFIX = "readiness__"
#: Services a portfolio page shows, and the most one JSON page returns: every figure of a
#: page is read for its services only, so a page costs the same at any portfolio size.
PAGE = 100
API_PAGE = 1000

# No built-in /docs, /redoc or /openapi.json: they answer without a user, and Swagger's page
# loads its JavaScript from a public CDN. The schema is served below, behind the same auth.
app = FastAPI(
    title="Readiness",
    description="Production readiness of every service, from the readiness history.",
    version="1",
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
)


def _visible(user: GetUserDep) -> set[str]:
    """The services whose DAGs this user may read."""
    dag_ids = get_auth_manager().get_authorized_dag_ids(user=user, method="GET")
    return {d[len(PREFIX) :] for d in dag_ids if d.startswith(PREFIX)}


Visible = Annotated[set[str], Depends(_visible)]


def _history() -> Any:
    from readiness.history import history_for
    from readiness.spec.config import load_settings

    return history_for(load_settings())


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- JSON API


@app.get("/openapi.json", include_in_schema=False)
def openapi_schema(visible: Visible) -> dict[str, Any]:
    """The JSON API's OpenAPI description, for a signed-in user only."""
    return app.openapi()


@app.get("/api/v1/services", summary="The services you may read: level, target, trend, due")
def api_services(
    visible: Visible,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=API_PAGE)] = API_PAGE,
) -> dict[str, Any]:
    """By name, ``limit`` from ``offset``; ``total`` counts them all, ``next_offset`` is
    where the next page starts (None after the last)."""
    from readiness.audit.portfolio import portfolio

    found = portfolio(_history(), _now(), visible, offset=offset, limit=limit)
    ahead = _next_lapses([r.service for r in found.rows])
    end = offset + len(found.rows)
    return {
        "services": [{**r.as_json(), "next_lapse": ahead.get(r.service)} for r in found.rows],
        "total": found.total,
        "below_target": found.below_target,
        "offset": offset,
        "next_offset": end if end < found.total else None,
        "queries": found.queries + (1 if found.rows else 0),
    }


@app.get("/api/v1/services/{service}", summary="One service: items, blocking, runs")
def api_service(service: str, visible: Visible) -> dict[str, Any]:
    detail = _detail(service, visible)
    return {
        "service": detail.service,
        "latest": {**detail.latest, "evaluated_at": detail.latest["evaluated_at"].isoformat()},
        "next_level": detail.next_level,
        "forecast": ahead.as_json() if (ahead := _forecast(service)) else None,
        "blocking": [_plain(r) for r in detail.blocking],
        "sections": {k: [_plain(r) for r in v] for k, v in detail.sections.items()},
        "runs": [_plain(r) for r in detail.runs],
        "exemptions": [_plain(r) for r in detail.exemptions],
        "exemption_events": [_plain(r) for r in detail.exemption_events],
        "queries": detail.queries,
    }


@app.get(
    "/api/v1/services/{service}/items/{item_id}",
    summary="One item's evaluations over the last 90 days, newest first",
)
def api_item(service: str, item_id: str, visible: Visible) -> dict[str, Any]:
    from readiness.audit.portfolio import item_history

    if service not in visible:
        raise HTTPException(status_code=404, detail="no such service")
    rows = item_history(_history(), service, item_id, _now())
    if not rows:
        raise HTTPException(status_code=404, detail="no such item")
    return {"service": service, "item_id": item_id, "history": [_plain(r) for r in rows]}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    from readiness.support.jsonvalues import jsonable

    return dict(jsonable(row))


def _next_lapses(services: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each service's next lapse within 30 days (``LevelLapse.as_json``; None: none
    forecast), from its latest evaluation, in one query for the page's services."""
    if not services:
        return {}
    from readiness.audit.forecast import latest_forecasts
    from readiness.audit.portfolio import TREND_DAYS
    from readiness.spec.config import load_settings
    from readiness.spec.loader import load_catalog_cached

    settings = load_settings()
    catalog = load_catalog_cached(settings.checklist_paths, settings.service_paths)
    now = _now()
    found = latest_forecasts(
        catalog, _history(), now, 30, now - timedelta(days=TREND_DAYS), services
    )
    return {s: f.next.as_json() if f.next else None for s, f in found.items()}


def _forecast(service: str) -> Any:
    """The service's forecast from its latest evaluation (None without spec or history)."""
    from readiness.audit.forecast import service_forecast
    from readiness.spec.config import load_settings
    from readiness.spec.loader import load_catalog_cached

    settings = load_settings()
    catalog = load_catalog_cached(settings.checklist_paths, settings.service_paths)
    return service_forecast(catalog, _history(), service, None, 30)


def _detail(service: str, visible: set[str]) -> Any:
    from readiness.audit.portfolio import service_detail

    if service not in visible:  # unknown or not yours: the same answer
        raise HTTPException(status_code=404, detail="no such service")
    detail = service_detail(_history(), service, _now())
    if detail is None:
        raise HTTPException(status_code=404, detail="no such service")
    return detail


# --------------------------------------------------------------------------- pages

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:16px;color:#1f2937}
h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #e5e7eb;
text-align:left;vertical-align:top}th{cursor:pointer;background:#f9fafb}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px}
.below{background:#fee2e2;color:#991b1b}.ok{background:#dcfce7;color:#166534}
.stale{color:#b45309}.muted{color:#6b7280}.mono{font-family:ui-monospace,monospace;font-size:12px}
form{margin:0 0 10px}
.x-requested{color:#b45309}.x-granted{color:#166534}.x-refused,.x-lapsed{color:#991b1b}
""" + status_css()
_SORT = """
document.querySelectorAll('th[data-k]').forEach(function(th){th.onclick=function(){
var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,d=th.dataset.d=th.dataset.d==='1'?'0':'1';
Array.from(b.rows).sort(function(x,y){var a=x.cells[i].dataset.v||x.cells[i].textContent,
c=y.cells[i].dataset.v||y.cells[i].textContent;return (d==='1'?1:-1)*a.localeCompare(c,undefined,
{numeric:true});}).forEach(function(r){b.appendChild(r);});};});
"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"{body}<script>{_SORT}</script></body></html>"
    )


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def portfolio_page(
    visible: Visible,
    team: Annotated[str | None, Query(max_length=200)] = None,
    level: Annotated[str | None, Query(max_length=50)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """The portfolio, ``PAGE`` services a page by name; the filters and the counts span
    every page, a column's sort the page shown."""
    from readiness.audit.portfolio import portfolio
    from readiness.spec.config import load_settings
    from readiness.spec.loader import load_catalog_cached

    settings = load_settings()
    catalog = load_catalog_cached(settings.checklist_paths, settings.service_paths)
    # only the teams of services this user may read: the filter must not list the others
    teams = {name: s.owner_team for name, s in catalog.specs.items() if name in visible}
    found = portfolio(
        _history(),
        _now(),
        visible,
        matches=lambda service, at: (
            (not team or teams.get(service) == team) and (not level or at == level)
        ),
        offset=(page - 1) * PAGE,
        limit=PAGE,
    )
    rows = found.rows
    ahead = _next_lapses([r.service for r in rows])
    queries = found.queries + (1 if rows else 0)
    out = [
        "<h1>Readiness</h1>",
        f"<p>{found.total} service(s), <b>{found.below_target}</b> below target. "
        f"<span class='muted'>{queries} queries</span></p>",
        "<form method='get'>team <select name='team'><option value=''>all</option>",
        *(
            f"<option{' selected' if t == team else ''}>{_e(t)}</option>"
            for t in sorted(set(teams.values()))
        ),
        "</select> level <input name='level' size='4' value='" + _e(level or "") + "'>",
        " <button>filter</button></form>",
        "<table><thead><tr>",
        *(
            f"<th data-k='{k}'>{label}</th>"
            for k, label in (
                ("service", "service"),
                ("level", "level / target"),
                ("trend", "90 days"),
                ("below", "below target this quarter"),
                ("evaluated", "last evaluated"),
                ("regressions", "open regressions"),
                ("lapse", "next lapse"),
                ("due", "due within 30 days"),
            )
        ),
        "</tr></thead><tbody>",
    ]
    for r in rows:
        badge = (
            "<span class='badge below'>below target</span>"
            if r.below_target
            else "<span class='badge ok'>at target</span>"
        )
        regressions = ", ".join(
            f"{_link(x['issue_url'], x['issue_key'], new_tab=True)} {_e(x['item_id'])}"
            if x.get("issue_url")
            else _e(x["item_id"])
            for x in r.open_regressions
        )
        due = _due_cell(r.service, r.due)
        stale = " <span class='stale'>⚠ late</span>" if r.stale or r.late_runs else ""
        if r.late_runs:
            stale += "".join(
                f"<br><span class='stale'>run {_e(x['run_id'])} past its deadline</span>"
                for x in r.late_runs[-2:]
            )
        out.append(
            "<tr>"
            f"<td><a href='services/{_e(r.service)}'>{_e(r.service)}</a><br>"
            f"<span class='muted'>{_e(teams.get(r.service, ''))}</span></td>"
            f"<td data-v='{_e(r.level)}'><b>{_e(r.level)}</b> / {_e(r.target)} {badge}</td>"
            f"<td>{_spark(r.trend)}</td>"
            f"<td data-v='{r.below_target_share:.4f}'>{100 * r.below_target_share:.0f} %</td>"
            f"<td data-v='{_e(r.evaluated_at.isoformat())}'>"
            f"{_e(r.evaluated_at.strftime('%Y-%m-%d %H:%M'))}{stale}</td>"
            f"<td data-v='{len(r.open_regressions)}'>{regressions or '—'}</td>"
            + _lapse_cell(ahead.get(r.service))
            + f"<td data-v='{len(r.due)}'>{due or '—'}</td>"
            "</tr>"
        )
    out.append("</tbody></table>")
    out.append(_pager(page, PAGE, found.total, {"team": team, "level": level}))
    return _page("Readiness", "\n".join(out))


@app.get("/dags/{dag_id}", response_class=HTMLResponse, include_in_schema=False)
def dag_tab(dag_id: str, visible: Visible) -> HTMLResponse:
    """The tab on a service DAG's page."""
    if not dag_id.startswith(PREFIX):
        raise HTTPException(status_code=404, detail="not a readiness DAG")
    return service_page(dag_id[len(PREFIX) :], visible)


def _exemptions(d: Any) -> list[str]:
    """What the team asked for, who granted or refused it, and the record of each answer."""
    if not d.exemptions and not d.exemption_events:
        return []
    out = ["<h2>Exemptions</h2>", "<table><thead><tr>"]
    out += [f"<th data-k='{h}'>{h}</th>" for h in ("request", "item", "asks", "state", "where")]
    out.append("</tr></thead><tbody>")
    for state in d.exemptions:
        r = state["request"]
        out.append(
            f"<tr><td class='mono'>{_e(r['id'])}</td><td>{_e(r['item'] or '—')}</td>"
            f"<td>{_e(r['change'])} until {_e(r['until'] or '—')}<br>"
            f"<span class='muted'>{_e(r['reason'])} — asked by {_e(r['requested_by'])}</span></td>"
            f"<td class='x-{_e(state['state'])}'>{_e(state['state'])}</td>"
            f"<td>{_e(state['words'])}</td></tr>"
        )
    out.append("</tbody></table>")
    if d.exemption_events:
        out.append("<h3>On record</h3><ul class='mono'>")
        for e in d.exemption_events[:60]:
            until = f" until {_e(e['valid_until'])}" if e["valid_until"] else ""
            out.append(
                f"<li>{_e(e['occurred_at'].strftime('%Y-%m-%d %H:%M'))} {_e(e['event'])} "
                f"{_e(e['request_id'] or '')} {_e(e['item_id'] or '')} by {_e(e['actor'])}"
                f"{until}{': ' + _e(e['comment']) if e['comment'] else ''}</li>"
            )
        out.append("</ul>")
    return out


def _future_timeline(service: str, trend: list[tuple[str, int]]) -> str:
    """History's levels, then the forecast's drops, each at the rank of the level it
    falls to, up to the forecast's horizon."""
    from readiness.spec.config import load_settings
    from readiness.spec.loader import load_catalog_cached

    ahead = _forecast(service)
    settings = load_settings()
    catalog = load_catalog_cached(settings.checklist_paths, settings.service_paths)
    spec = catalog.specs.get(service)
    checklist = catalog.checklists.get(spec.checklist) if spec else None
    if ahead is None or checklist is None:
        return _spark(trend, width=600, height=60)
    rank = checklist.rank
    future = [(ahead.as_of.isoformat(), rank(ahead.level))]
    future += [(d.at.isoformat(), rank(d.falls_to)) for d in ahead.drops]
    future.append((ahead.until.isoformat(), future[-1][1]))
    return _timeline(trend, future, top=len(checklist.levels) - 1)


def _forecast_html(service: str) -> str:
    ahead = _forecast(service)
    if ahead is None:
        return ""
    later = "".join(f"<li>{_e(d.words())}</li>" for d in ahead.drops[1:])
    rows = "".join(
        f"<li>{_e(c.stops_at.date().isoformat() if c.stops_at else '')} "
        f"<b>{_e(c.item_id)}</b> {_e(c.title)}: {_e(c.why)}</li>"
        for c in ahead.due[:200]
    )
    due = (
        f"<details><summary>{len(ahead.due)} item(s) stop counting within 30 days unless "
        f"renewed</summary><ul class='due'>{rows}</ul></details>"
        if rows
        else ""
    )
    head = f"<h2>Next lapse</h2><p class='forecast'><b>{_e(ahead.words())}</b></p>"
    return head + (f"<p>Then:</p><ul>{later}</ul>" if later else "") + due


@app.get("/services/{service}", response_class=HTMLResponse, include_in_schema=False)
def service_page(service: str, visible: Visible) -> HTMLResponse:
    d = _detail(service, visible)
    latest = d.latest
    badge = "below" if latest["below_target"] else "ok"
    out = [
        f"<h1>{_e(d.service)} <span class='badge {badge}'>{_e(latest['level'])} / "
        f"{_e(latest['target'])}</span></h1>",
        f"<p class='muted'>as of {_e(latest['evaluated_at'].isoformat())}, run "
        f"<span class='mono'>{_e(latest['run_id'])}</span>"
        + (
            f", signed verdict <span class='mono'>{_e(latest['verdict'][:-48])}…</span>"
            if latest.get("verdict")
            else ""
        )
        + "</p>",
        "<h2>Level, last 90 days and the next 30</h2>",
        _future_timeline(service, d.trend),
        _forecast_html(service),
        f"<h2>What blocks {_e(d.next_level or 'the next level')}</h2>",
    ]
    if d.blocking:
        out.append("<ul>")
        issues = {r["item_id"]: r.get("issue") for rows in d.sections.values() for r in rows}
        for r in d.blocking:
            issue = issues.get(r["item_id"])
            link = " " + _link(issue["url"], issue["issue_key"], new_tab=True) if issue else ""
            out.append(
                f"<li><b>{_e(r['item_id'])}</b> {_e(r['title'])}: "
                f"<span class='s-{_e(r['effective_status'])}'>{_e(r['effective_status'])}</span>"
                f"{link} — {_e((r['reason'] or '')[:300])}</li>"
            )
        out.append("</ul>")
    else:
        out.append("<p>Nothing: every item required there is satisfied.</p>")
    out += _exemptions(d)
    out.append("<h2>Items</h2>")
    for section, items in d.sections.items():
        out.append(f"<h3>{_e(section)}</h3><table><thead><tr>")
        out += [
            f"<th data-k='{h}'>{h}</th>"
            for h in (
                "item",
                "from",
                "status",
                "reason",
                "expected vs observed",
                "evidence",
                "waiver",
                "issue",
            )
        ]
        out.append("</tr></thead><tbody>")
        for r in items:
            evidence = (
                f"{_link(r['evidence_uri'], css='mono')}<br>"
                f"<span class='mono muted'>{_e((r['evidence_sha256'] or '')[:16])}</span>"
                if r["evidence_uri"]
                else "—"
            )
            waiver = r["waiver"] or {}
            issue = r.get("issue")
            checks = "<br>".join(
                f"{'✓' if ok else '✗'} {_e(text[:300])}" for ok, text in r.get("checks", [])
            )
            reason = _e((r["reason"] or "")[:400])
            history_href = f"/readiness/api/v1/services/{_e(service)}/items/{_e(r['item_id'])}"
            out.append(
                "<tr>"
                f"<td><b>{_e(r['item_id'])}</b> {_e(r['title'])}"
                f" <a href='{history_href}' class='muted'>history</a>"
                + (
                    f"<br><span class='muted'>override: {_e(r['spec_override'])}</span>"
                    if r.get("spec_override")
                    else ""
                )
                + "</td>"
                f"<td>{_e(r['required_from'])}</td>"
                f"<td class='s-{_e(r['effective_status'])}'>{_e(r['effective_status'])}</td>"
                f"<td>{reason}</td><td>{checks or '—'}</td>"
                f"<td>{evidence}</td>"
                f"<td>{_e(waiver.get('approver', ''))} {_e(waiver.get('expires', ''))}</td>"
                + (
                    f"<td>{_link(issue['url'], issue['issue_key'], new_tab=True)} "
                    f"{_e(issue['state'])}</td>"
                    if issue
                    else "<td>—</td>"
                )
                + "</tr>"
            )
        out.append("</tbody></table>")
    out.append("<h2>Runs</h2><ul>")
    for run in d.runs[:30]:
        dag_run = f"/dags/{_e(run['dag_id'])}/runs/{_e(run['dag_run_id'])}" if run["dag_id"] else ""
        label = f"{_e(run['evaluated_at'].strftime('%Y-%m-%d %H:%M'))} {_e(run['trigger'])}: "
        label += f"{_e(run['achieved_level'])}"
        out.append(
            f"<li><a href='{dag_run}' target='_top'>{label}</a></li>"
            if dag_run
            else f"<li>{label}</li>"
        )
    out.append("</ul>")
    return _page(f"Readiness: {service}", "\n".join(out))
