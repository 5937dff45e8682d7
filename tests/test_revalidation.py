"""Quarterly revalidation: the quarterly run opens exactly one issue per service listing
every sign-off not renewed in the new quarter, on top of the per-item regression issues."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from quarter_project import make_project, sign
from readiness.domain.model import Waiver
from readiness.history import RunMeta
from readiness.lifecycle.notices import LAPSE_ITEM
from readiness.lifecycle.revalidation import REVALIDATION_ITEM, REVALIDATION_LABEL, waivers_due
from readiness.pipeline.engine import evaluate
from readiness.support.markdown import escape
from readiness.support.timeutil import parse_timestamp
from readiness.trackers.outbox.tracker import OutboxTracker


def run(settings, when: str, key: str, trigger: str = "scheduled"):  # type: ignore[no-untyped-def]
    return evaluate(
        settings,
        as_of=parse_timestamp(when),
        meta=RunMeta(run_key=key, trigger=trigger),
    )


def test_quarterly_run_opens_one_revalidation_issue_per_service(tmp_path: Path) -> None:
    settings = make_project(tmp_path)
    before = run(settings, "2026-12-28T06:00:00Z", "2026-12-28")
    assert {e.service: e.achieved_level for e in before.evaluations} == {
        "alpha": "L2",
        "beta": "L2",
    }

    quarterly = run(settings, "2027-01-01T06:00:00Z", "quarterly:2027Q1", "quarterly")
    outbox = OutboxTracker(tmp_path / "outbox")
    issues = outbox.issues()
    revalidation = [i for i in issues if i["item_id"] == REVALIDATION_ITEM]
    assert sorted(i["service"] for i in revalidation) == ["alpha", "beta"]
    # the run of 2026-12-28 saw the Q3 sign-off stop counting on 2027-01-01, below target:
    # one pre-lapse notice per service, closed by the quarterly run as the lapse happened
    notices = [i for i in issues if i["item_id"] == LAPSE_ITEM]
    assert sorted((i["service"], i["state"]) for i in notices) == [
        ("alpha", "closed"),
        ("beta", "closed"),
    ]
    # the Q3 sign-off expired on 2026-12-31: SO1 regressed and got its own issue as well
    regressions = [i for i in issues if i["item_id"] not in (REVALIDATION_ITEM, LAPSE_ITEM)]
    assert sorted((i["service"], i["item_id"]) for i in regressions) == [
        ("alpha", "SO1"),
        ("beta", "SO1"),
    ]
    alpha = next(e for e in quarterly.evaluations if e.service == "alpha")
    assert alpha.achieved_level == "L0" and [r.item.id for r in alpha.regressions] == ["SO1"]

    issue = next(i for i in revalidation if i["service"] == "alpha")
    assert issue["labels"].split(",") == ["service:alpha", "readiness", REVALIDATION_LABEL]
    assert issue["team_key"] == "ALP"
    assert issue["due_date"] == "2027-03-31"
    assert issue["title"] == (
        "[readiness] alpha quarterly revalidation 2027Q1: 4 sign-off(s) to renew"
    )
    table = [line for line in issue["body"].splitlines() if line.startswith("| SO")]
    # role, signed date, the day it stops counting, state: expired first, then unsigned,
    # then last quarter's with their deadline
    assert [[c.strip() for c in row.split("|")[2:7]] for row in table] == [
        ["Tech lead", escape("tech.lead@example.com"), "2026-09-10", "2026-12-31", "expired"],
        ["Product", "-", "-", "-", "unsigned"],
        ["SRE", escape("sre@example.com"), "2026-10-20", "2027-03-31", "renew"],
        ["Security", escape("security@example.com"), "2026-11-03", "2027-03-31", "renew"],
    ]
    # waivers expiring in the new quarter are listed
    assert "SO3: expires 2027-02-15" in issue["body"]

    # a retried quarterly run (same run key) opens nothing more
    run(settings, "2027-01-01T06:00:00Z", "quarterly:2027Q1", "quarterly")
    assert len(outbox.issues()) == len(issues)


def test_revalidation_issue_closes_once_every_signoff_is_renewed(tmp_path: Path) -> None:
    settings = make_project(tmp_path, {"alpha": "ALP"})
    run(settings, "2027-01-01T06:00:00Z", "quarterly:2027Q1", "quarterly")
    outbox = OutboxTracker(tmp_path / "outbox")
    key = next(i["issue_key"] for i in outbox.issues() if i["item_id"] == REVALIDATION_ITEM)

    store = tmp_path / "evidence" / "alpha"
    sign(store, "SO1", "Tech lead", "2027-01-10T10:00:00Z")
    sign(store, "SO2", "SRE", "2027-01-11T10:00:00Z")
    partly = run(settings, "2027-01-12T06:00:00Z", "2027-01-12")
    assert key not in partly.issues["alpha"].closed  # Security and Product still due

    sign(store, "SO2", "Security", "2027-01-15T10:00:00Z")
    sign(store, "SO3", "Product", "2027-01-15T11:00:00Z")
    renewed = run(settings, "2027-01-16T06:00:00Z", "2027-01-16")
    assert key in renewed.issues["alpha"].closed
    closed = next(i for i in outbox.issues() if i["issue_key"] == key)
    assert closed["state"] == "closed"
    assert "Every sign-off is renewed for 2027Q1" in outbox.comments(key)[-1]


def test_a_scheduled_run_opens_no_revalidation_issue(tmp_path: Path) -> None:
    settings = make_project(tmp_path, {"alpha": "ALP"})
    run(settings, "2026-12-28T06:00:00Z", "2026-12-28")
    run(settings, "2027-01-01T06:00:00Z", "2027-01-01")
    outbox = OutboxTracker(tmp_path / "outbox")
    # the pre-lapse notice of 2026-12-28, then SO1's regression: no revalidation issue
    assert [i["item_id"] for i in outbox.issues()] == [LAPSE_ITEM, "SO1"]


def test_waivers_due_are_those_in_force_that_expire_this_quarter() -> None:
    def waiver(item: str, expires: str) -> Waiver:
        return Waiver(item=item, reason="r", approver="a", expires=date.fromisoformat(expires))

    waivers = [
        waiver("A", "2027-03-31"),
        waiver("B", "2027-04-01"),
        waiver("C", "2026-12-31"),
        waiver("D", "2027-01-01"),
    ]
    assert [w.item for w in waivers_due(waivers, date(2027, 1, 1))] == ["D", "A"]


def test_revalidation_issues_in_linear(tmp_path: Path) -> None:
    from readiness.trackers.linear.client import LinearClient, RetryPolicy
    from readiness.trackers.linear.fake_server import FakeLinear
    from readiness.trackers.linear.tracker import LinearTracker

    fake = FakeLinear(api_key="lin_api_k")
    fake.add_team("ALP")
    fake.start()
    try:
        settings = make_project(tmp_path, {"alpha": "ALP"})

        def quarterly() -> None:
            tracker = LinearTracker(
                LinearClient("lin_api_k", fake.url, policy=RetryPolicy(attempts=2))
            )
            evaluate(
                settings,
                as_of=parse_timestamp("2027-01-01T06:00:00Z"),
                meta=RunMeta(run_key="quarterly:2027Q1", trigger="quarterly"),
                tracker=tracker,
            )

        quarterly()
        [issue] = [i for i in fake.issues.values() if "revalidation" in i["title"]]
        labels = {fake.labels[label]["name"] for label in issue["labelIds"]}
        assert labels == {"service:alpha", "readiness", REVALIDATION_LABEL}
        assert issue["dueDate"] == "2027-03-31"
        assert f"| SO1 {escape('Sign-off: tech lead')} | Tech lead |" in issue["description"]
        quarterly()  # a retried quarterly run opens nothing more
        assert len([i for i in fake.issues.values() if "revalidation" in i["title"]]) == 1
        assert fake.rejected == []
    finally:
        fake.stop()
