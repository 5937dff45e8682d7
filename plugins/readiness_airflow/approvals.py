"""The ``readiness__exemptions`` DAG's Airflow side: each exemption request that waits for a
decision becomes one human-in-the-loop task (the standard provider's ``HITLOperator``), shown
on the Required Actions page and answerable through the REST API. Airflow's auth manager
decides who the responder is and, through ``assigned_users``, who may respond at all;
``readiness.pipeline.approvals.answer`` then refuses a grant by the requester or one longer
than the checklist allows, and records every answer in history."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param

from readiness.pipeline.approvals import OPTIONS

log = logging.getLogger(__name__)

#: How long an approval waits before it is recorded ``unanswered`` and asked again.
RESPONSE_TIMEOUT = timedelta(days=7)

PARAMS = {
    "until": Param(
        "",
        type="string",
        title="Grant until (YYYY-MM-DD)",
        description="The last day the exemption holds; empty: the day asked for.",
    ),
    "comment": Param("", type="string", title="Comment", description="Recorded in history."),
}


def _source(context: Mapping[str, Any]) -> str:
    ti = context["ti"]
    return f"airflow:{ti.dag_id}/{ti.run_id}/{ti.task_id}[{ti.map_index}]"


def _history() -> Any:
    from readiness.history import history_for
    from readiness_airflow.runtime import settings

    history = history_for(settings())
    history.init()
    return history


class ExemptionApproval(HITLOperator):
    """One request, put to its approvers. ``request`` is the request as JSON."""

    template_fields = ()  # the request is the spec's text: never rendered as a template

    def __init__(self, *, request: dict[str, Any], **kwargs: Any) -> None:
        kwargs.setdefault("options", OPTIONS)
        # no default answer: an approval nobody answers is recorded ``unanswered``, never
        # decided by the clock
        kwargs.setdefault("params", PARAMS)
        kwargs.setdefault("response_timeout", RESPONSE_TIMEOUT)
        super().__init__(**kwargs)
        self.request = request

    def execute(self, context: Any) -> Any:
        from airflow.sdk.exceptions import AirflowSkipException

        from readiness.pipeline.approvals import asked

        if not asked(_history(), self.request, datetime.now(UTC), _source(context)):
            raise AirflowSkipException(
                f"{self.request['id']} is already put to its approvers by another run"
            )
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from readiness.pipeline.approvals import answer, unanswered
        from readiness.spec.config import load_settings
        from readiness.spec.loader import load_catalog

        history = _history()
        if event.get("error_type") == "timeout" or event.get("timedout"):
            unanswered(history, self.request, datetime.now(UTC), _source(context))
            log.warning("exemption %s: no answer in time; asked again", self.request["id"])
            return {"event": "unanswered"}
        result = super().execute_complete(context, event)
        settings = load_settings()
        catalog = load_catalog(settings.checklist_paths, settings.service_paths)
        recorded = answer(
            catalog,
            history,
            self.request,
            chosen=list(result["chosen_options"]),
            params=dict(result["params_input"] or {}),
            responder=dict(result["responded_by_user"] or {}),
            responded_at=result["responded_at"],
            source=_source(context),
        )
        log.info(
            "exemption %s: %s by %s%s",
            self.request["id"],
            recorded["event"],
            recorded["actor"],
            f" ({recorded['comment']})" if recorded["comment"] else "",
        )
        return recorded


def requests_awaiting(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The approvals to open: one per request that waits for a decision."""
    from readiness.pipeline.approvals import awaiting
    from readiness.spec.loader import load_catalog
    from readiness_airflow.runtime import as_of, settings

    config = settings()
    catalog = load_catalog(config.checklist_paths, config.service_paths)
    found = awaiting(config, catalog, _history(), as_of(context))
    for approval in found:
        log.info("READINESS exemption %s awaits %s", approval.request.id, approval.approvers)
    return [approval.as_kwargs() for approval in found]
