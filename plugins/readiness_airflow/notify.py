"""Announcements (``readiness.lifecycle.announcements``) sent through Airflow's own
notifiers: the Slack provider's webhook notifier and the SMTP provider's notifier. Each
spec names its team's Airflow connections (``notify:``); the webhook URL and the SMTP
password never leave them.

One registry, ``CHANNELS``: a channel is a function from an announcement to the notifier
that sends it. The notifiers' ``notify`` is called without Airflow's template rendering:
announcements carry checklist and spec text, which must reach people as text, never run
as Jinja."""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from readiness.domain.model import ServiceSpec
from readiness.lifecycle.announcements import Announcement, late_run

log = logging.getLogger(__name__)

#: A notifier that hangs is a failed delivery, retried, not a stuck task.
SEND_TIMEOUT_S = 20

Notifier = Any  # airflow.sdk.bases.notifier.BaseNotifier; imported lazily with its provider


def _slack_escape(text: str) -> str:
    """Slack's three control characters, so no text can mention @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(a: Announcement) -> str:
    links = " ".join(f"<{_slack_escape(url)}|{_slack_escape(label)}>" for label, url in a.links)
    lines = [f"*{_slack_escape(a.headline)}*", *(_slack_escape(line) for line in a.lines)]
    return "\n".join(lines + ([links] if links else []))


def email_html(a: Announcement) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in a.lines)
    links = "".join(
        f'<li><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></li>'
        for label, url in a.links
    )
    return (
        f"<p><strong>{html.escape(a.headline)}</strong></p><ul>{items}</ul>"
        + (f"<p>Issues:</p><ul>{links}</ul>" if links else "")
        + "<p><small>Sent by readiness; each event is sent once.</small></p>"
    )


def message_id(a: Announcement) -> str:
    """Stable per announcement, so a mail a retry did send twice is one mail to clients."""
    return f"<{hashlib.sha256(a.id.encode()).hexdigest()[:32]}@readiness>"


def _slack(a: Announcement, connection_id: str, spec: ServiceSpec) -> Notifier:
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    return SlackWebhookNotifier(
        slack_webhook_conn_id=connection_id,
        text=slack_text(a),
        unfurl_links=False,
        unfurl_media=False,
        timeout=SEND_TIMEOUT_S,
    )


def _email(a: Announcement, connection_id: str, spec: ServiceSpec) -> Notifier:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return SmtpNotifier(
        to=list(spec.notify.email_to),
        subject=f"[readiness] {a.headline}"[:250],
        html_content=email_html(a),
        smtp_conn_id=connection_id,
        custom_headers={"Message-ID": message_id(a), "X-Readiness-Event": a.kind},
    )


#: channel name (the spec's ``notify:`` key) → the notifier for one announcement
CHANNELS: dict[str, Callable[[Announcement, str, ServiceSpec], Notifier]] = {
    "slack": _slack,
    "email": _email,
}


def deliverer(spec: ServiceSpec) -> Callable[[Announcement, str, str], None]:
    """``ServiceStages.announce``'s ``deliver``: one announcement, one channel, sent now."""

    def deliver(a: Announcement, channel: str, connection_id: str) -> None:
        notifier = CHANNELS[channel](a, connection_id, spec)
        notifier.notify({})  # no template rendering: see the module docstring
        log.info("%s sent on %s through connection %s", a.id, channel, connection_id)

    return deliver


def announce(service: str, evaluation: Mapping[str, Any]) -> dict[str, list[str]]:
    """The announce task: what the recorded run announces, on the spec's channels; fails
    (to be retried) if a channel did not take it, after sending on the others."""
    from readiness.pipeline.stages import ServiceStages
    from readiness_airflow import runtime

    stages = ServiceStages(runtime.settings(), service)
    done = stages.announce(evaluation, deliverer(stages.spec))
    log.info(
        "announcements of %s: sent %s, already sent %s",
        service,
        done["sent"] or "-",
        done["already"] or "-",
    )
    if done["failed"]:
        raise RuntimeError(
            f"announcements of {service} not sent: {', '.join(done['failed'])}; "
            "the retry sends only these"
        )
    return done


async def late_run_alert(service: str, deadline_minutes: int, context: dict[str, Any]) -> str:
    """The Deadline Alert's callback (it runs in the triggerer): the run had not succeeded
    ``deadline_minutes`` after its logical date. Put on record in ``notifications`` (the
    portfolio shows the service late) and sent on the spec's channels, each once."""
    import asyncio

    return await asyncio.to_thread(_late_run, service, deadline_minutes, context)


def _late_run(service: str, deadline_minutes: int, context: Mapping[str, Any]) -> str:
    from readiness.history import history_for
    from readiness.pipeline.stages import ServiceStages
    from readiness_airflow import runtime

    config = runtime.settings()
    spec = ServiceStages(config, service).spec
    run = context.get("dag_run") or {}
    due = context.get("deadline", {}).get("deadline_time") or datetime.now(UTC)
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    a = late_run(service, spec.owner_team, str(run.get("dag_run_id", "?")), due, deadline_minutes)
    history = history_for(config)
    try:
        history.init()
        sent = {r["event_id"] for r in history.notifications(service, a.at)}
        now = datetime.now(UTC)
        if a.delivery_id("record") not in sent:
            history.save_notifications([a.ledger_row("record", "", now)])
        deliver = deliverer(spec)
        for channel, connection_id in spec.notify.named().items():
            if a.delivery_id(channel) in sent:
                continue
            deliver(a, channel, connection_id)
            history.save_notifications([a.ledger_row(channel, connection_id, datetime.now(UTC))])
    finally:
        history.close()
    return a.headline
