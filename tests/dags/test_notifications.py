"""Notifications through Airflow's own notifiers, in whole ``dag.test()`` runs: the Slack
provider's webhook notifier and the SMTP provider's notifier, each against a local receiver
this test starts, configured by the spec's ``notify:`` connections."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from readiness.history import open_history
from readiness.spec.config import load_settings
from readiness.testing.receivers import smtp_receiver, webhook_receiver

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime(2026, 11, 20, 6, tzinfo=UTC)
WEEK_LATER = datetime(2026, 11, 27, 6, tzinfo=UTC)
FSS = "file-storage-service"
NOTIFY = """
notify:
  slack: readiness_slack_storage
  email:
    connection: readiness_smtp_storage
    to: [storage-platform@example.com]
"""


@pytest.mark.slow
def test_a_downgrade_is_sent_once_on_slack_and_by_mail_retries_included(
    metadata_db: Path, readiness_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness_airflow.factory import build_dags
    from readiness_airflow.local import run_dag

    services = readiness_env / "services"
    shutil.copytree(ROOT / "services", services)
    with (services / f"{FSS}.yaml").open("a") as spec:
        spec.write(NOTIFY)
    monkeypatch.setenv("READINESS_SERVICES", str(services))
    # the announce task's own retries run (and fail) at once: Slack stays down for them
    monkeypatch.setenv("READINESS_TASK_RETRY_DELAY_S", "0")
    with webhook_receiver() as slack, smtp_receiver() as mail:
        monkeypatch.setenv(
            "AIRFLOW_CONN_READINESS_SLACK_STORAGE",
            json.dumps({"conn_type": "slackwebhook", "password": slack.url}),
        )
        monkeypatch.setenv("AIRFLOW_CONN_READINESS_SMTP_STORAGE", _smtp_connection(mail.port))
        dag = build_dags(load_settings())[f"readiness__{FSS}"]
        assert "announce" in dag.task_ids

        first = run_dag(dag, TODAY)  # L2, nothing before it: nothing to announce
        assert first.succeeded, first.task_states
        assert slack.received == [] and mail.received == []

        slack.fail_next = 100  # Slack is down for the downgrade's run
        second = run_dag(dag, WEEK_LATER)
        assert second.task_states["announce"] == "failed", second.task_states
        assert second.task_states["record"] == "success"
        assert slack.received == []
        assert 100 - slack.fail_next == 3  # the first try and the task's two retries
        # one channel down does not hold the other back, and the task's retries (three
        # tries, all refused by Slack) did not send the mail again
        assert len(mail.received) == 1

        slack.fail_next = 0
        again = run_dag(dag, WEEK_LATER)  # the retry: the same Airflow run, cleared
        assert again.succeeded, again.task_states
        assert again.run_id == second.run_id

        assert len(slack.received) == 1, slack.received
        text = slack.received[0]["text"]
        assert text.splitlines()[0] == f"*{FSS} fell to L1 from L2 (target L3)*"
        assert "RP3" in text and "Issues: OUT-1" in text
        assert slack.received[0]["unfurl_links"] is False

        assert len(mail.received) == 1  # not sent again by the retry
        message = mail.received[0]
        assert message["Subject"] == f"[readiness] {FSS} fell to L1 from L2 (target L3)"
        assert message["To"] == "storage-platform@example.com"
        assert message["From"] == "readiness@example.com"
        assert message["X-Readiness-Event"] == "downgrade"
        assert message["Message-ID"].endswith("@readiness>")
        html_part = next(p for p in message.walk() if p.get_content_type() == "text/html")
        assert "RP3" in html_part.get_payload(decode=True).decode()

    settings = load_settings()
    history = open_history(settings.history, str(settings.project_root))
    ledger = history.notifications(FSS)
    assert [(r["kind"], r["channel"], r["connection_id"]) for r in ledger] == [
        ("downgrade", "email", "readiness_smtp_storage"),
        ("downgrade", "slack", "readiness_slack_storage"),
    ]
    # the webhook URL is the connection's secret: never in history
    assert slack.url not in json.dumps(ledger, default=str)


def _smtp_connection(port: int) -> str:
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "extra": {
                "disable_tls": True,
                "disable_ssl": True,
                "from_email": "readiness@example.com",
                "timeout": 10,
                "retry_limit": 1,
            },
        }
    )


@pytest.mark.slow
def test_a_pre_lapse_notice_is_announced_once_with_what_to_renew(
    metadata_db: Path, readiness_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The onboarding project a week before its weekly restore drill runs out: the run
    files the pre-lapse notice and the team hears of it on Slack and by mail, once, however
    many runs see the same lapse coming."""
    from readiness_airflow.factory import build_dags
    from readiness_airflow.local import run_dag

    project = readiness_env / "project"
    shutil.copytree(ROOT / "docs" / "onboarding", project)
    with (project / "services" / "payments-service.yaml").open("a") as spec:
        spec.write(NOTIFY.replace("storage", "payments"))
    monkeypatch.setenv("READINESS_HOME", str(project))
    for name in ("READINESS_EVIDENCE_ROOT", "READINESS_SERVICES"):
        monkeypatch.delenv(name, raising=False)
    with webhook_receiver() as slack, smtp_receiver() as mail:
        monkeypatch.setenv(
            "AIRFLOW_CONN_READINESS_SLACK_PAYMENTS",
            json.dumps({"conn_type": "slackwebhook", "password": slack.url}),
        )
        monkeypatch.setenv("AIRFLOW_CONN_READINESS_SMTP_PAYMENTS", _smtp_connection(mail.port))
        dag = build_dags(load_settings())["readiness__payments-service"]
        for hour in (6, 12):  # the morning run files the notice; the next one sees it open
            run = run_dag(dag, datetime(2027, 3, 3, hour, tzinfo=UTC))
            assert run.succeeded, run.task_states
        [message] = slack.received
        [mail_message] = mail.received
    text = message["text"]
    headline = text.splitlines()[0]
    assert headline.startswith("*payments-service: L") and "unless renewed" in headline
    assert "\nRenew B1 " in text and "Pre-lapse notice: OUT-1" in text
    assert mail_message["X-Readiness-Event"] == "lapse-notice"
    assert mail_message["Subject"] == f"[readiness] {headline.strip('*')}"
    (readiness_env / "payloads.json").write_text(
        json.dumps({"slack": message, "mail": mail_message.as_string()}, indent=2)
    )


def test_hostile_checklist_text_reaches_slack_and_mail_as_text_never_as_markup() -> None:
    from readiness.lifecycle.announcements import Announcement
    from readiness_airflow.notify import email_html, message_id, slack_text

    hostile = Announcement(
        id="downgrade:svc@d1",
        kind="downgrade",
        service="svc",
        team="t",
        run_id="svc@d1",
        at=TODAY,
        headline="svc fell to L1 <!channel> {{ conn.readiness_slack_storage.password }}",
        lines=("RP3 <https://evil.example|click> & <script>alert(1)</script>",),
        links=(("OUT-1", "https://linear.app/x/issue/OUT-1?a=1&b=<2>"),),
    )
    text = slack_text(hostile)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<https://evil.example|click>" not in text
    assert "<https://linear.app/x/issue/OUT-1?a=1&amp;b=&lt;2&gt;|OUT-1>" in text
    assert "{{ conn.readiness_slack_storage.password }}" in text  # text, never rendered
    page = email_html(hostile)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="https://linear.app/x/issue/OUT-1?a=1&amp;b=&lt;2&gt;"' in page
    assert (
        message_id(hostile)
        == message_id(hostile)
        != message_id(Announcement(**{**hostile.__dict__, "id": "downgrade:svc@d2"}))
    )


def test_only_web_links_are_announced() -> None:
    from readiness.history import IssueLink
    from readiness.lifecycle.announcements import _issue_links

    def link(url: str) -> IssueLink:
        return IssueLink(
            service="s", item_id="RP3", episode_id="e", tracker="outbox", issue_id="1",
            issue_key="OUT-1", url=url, state="open", title="t", opened_run_id="r",
            opened_at=TODAY, closed_at=None, closed_reason=None, last_reason="",
            previous_issue_key=None, updated_at=TODAY,
        )  # fmt: skip

    assert _issue_links([link("file:///var/outbox/OUT-1.md"), link("javascript:alert(1)")]) == ()
    assert _issue_links([link("https://linear.app/i/OUT-1")]) == (
        ("OUT-1", "https://linear.app/i/OUT-1"),
    )
