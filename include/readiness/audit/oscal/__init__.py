"""A service's evaluation as an OSCAL assessment-results document, for auditors' tools.

Built from history only (``evaluations`` + ``item_results``), so an evaluation from any
past run can be exported the same way, on BigQuery or DuckDB:
- one ``result`` per evaluation; the checklist's items are the reviewed controls;
- one ``observation`` per item, ``collected`` at the evaluation's moment and ``expires``
  when it stops counting, with the evidence's URI and sha256 as ``relevant-evidence`` (and a
  back-matter resource carrying the hash);
- one ``finding`` per item: ``satisfied`` / ``not-satisfied``, the item status as reason;
- every waiver in force as a ``risk`` with status ``deviation-approved``;
- the run's signed verdict (its DSSE envelope) as a back-matter resource, and its sha256
  as the result's ``verdict-sha256``.

UUIDs are derived from the run and item ids, so exporting the same run twice gives the same
document. :func:`validate` checks it against compliance-trestle's ``AssessmentResults``,
generated from NIST's published OSCAL schema (OSCAL 1.2.1 in trestle 5.2), so an export
that NIST's model rejects is never written."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from readiness.domain.model import STATUS_TABLE, Status
from readiness.domain.verdicts import Verdict
from readiness.history import HistoryStore
from readiness.history import queries as q
from readiness.history.sqlstore import END_OF_TIME

#: A request's state as an OSCAL risk status: asked for, or a deviation someone approved;
#: refused or lapsed, the risk is open again.
EXEMPTION_RISK_STATUS = {
    "requested": "deviation-requested",
    "granted": "deviation-approved",
    "refused": "open",
    "lapsed": "open",
}

#: A finding's state per item status. A waived item is ``not-satisfied``: the control is
#: not met, and the waiver appears beside it as a ``deviation-approved`` risk, which is how
#: OSCAL records an accepted gap. ``not_applicable`` is satisfied: nothing is owed.
FINDING_STATE: dict[Status, str] = {s: traits.finding_state for s, traits in STATUS_TABLE.items()}

#: The OSCAL version of compliance-trestle's models, which the export is validated against.
OSCAL_VERSION = "1.2.1"
NS = "https://github.com/readiness/readiness/ns/oscal"
_UUID_NS = uuid.UUID("7d1f0f52-5a43-4bd8-9f6c-2f8f4f1b7a11")
_ATTESTED = {"attestation"}

EVALUATION_BY_RUN = """
SELECT * FROM {dataset}.evaluations WHERE run_id = @run_id
ORDER BY evaluated_at DESC LIMIT 1
"""
ITEMS_OF_RUN = """
SELECT * FROM {dataset}.item_results
WHERE run_id = @run_id AND evaluated_at = @evaluated_at
ORDER BY required_rank, item_id
"""


class NotEvaluated(LookupError):
    """History has no such evaluation."""


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "\x1f".join(parts)))


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _prop(name: str, value: object) -> dict[str, str] | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return {"name": name, "ns": NS, "value": text} if text else None


def _props(*pairs: tuple[str, object]) -> list[dict[str, str]]:
    return [p for name, value in pairs if (p := _prop(name, value)) is not None]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _with_props(node: dict[str, Any], props: list[dict[str, str]]) -> dict[str, Any]:
    if props:
        node["props"] = props
    return node


def assessment_results(
    history: HistoryStore, service: str, run_id: str | None = None
) -> dict[str, Any]:
    """The OSCAL document of ``run_id`` (default: the service's latest evaluation).
    ``run_id`` means what ``evaluate --run-id`` means, the run key (``d3``); the full id
    history stores (``<service>@d3``) is accepted too."""
    rows = []
    if run_id:
        full = run_id if run_id.startswith(f"{service}@") else f"{service}@{run_id}"
        rows = history.select(EVALUATION_BY_RUN, run_id=full)
    latest = history.select(q.LATEST_EVALUATION, service=service, as_of=END_OF_TIME)
    rows = rows if run_id else latest
    if not rows or rows[0]["service"] != service:
        if not run_id:
            raise NotEvaluated(f"{service} has never been evaluated")
        hint = (
            f"; the latest is {latest[0]['run_id'].split('@', 1)[1]!r} "
            f"(run id {latest[0]['run_id']!r})"
            if latest
            else f"; {service} has never been evaluated"
        )
        raise NotEvaluated(
            f"history has no evaluation {run_id!r} of {service} (a run key as given to "
            f"evaluate --run-id, or the full id {service}@<run key>){hint}"
        )
    ev = rows[0]
    items = history.select(ITEMS_OF_RUN, run_id=ev["run_id"], evaluated_at=ev["evaluated_at"])
    return build_document(ev, items, history.run_verdict(ev["service"], ev["run_id"]))


def verdict_resource(run_id: str, verdict: Verdict) -> dict[str, Any]:
    """The run's signed verdict as a back-matter resource: the DSSE envelope itself
    (base64), with the payload's sha256 and the key id, so an auditor's tool can check the
    signature with the public key alone (docs/audit.md)."""
    envelope = json.dumps(verdict.envelope, sort_keys=True, separators=(",", ":")).encode()
    return _with_props(
        {
            "uuid": _uuid(run_id, "verdict"),
            "title": f"Signed verdict {verdict.service}#{verdict.sequence}",
            "description": (
                "An in-toto Statement (v1) in a DSSE envelope, signed with Ed25519: what this "
                "evaluation decided and on what evidence, chained to the service's previous "
                "verdict. verdict-sha256 is the sha256 of the envelope's payload."
            ),
            "base64": {
                "filename": f"{verdict.service}-{verdict.sequence}.dsse.json",
                "media-type": "application/vnd.dsse.envelope.v1+json",
                "value": base64.b64encode(envelope).decode(),
            },
        },
        _props(
            ("verdict-sha256", verdict.sha256),
            ("verdict-key-id", verdict.key_id),
            ("verdict-sequence", str(verdict.sequence)),
            ("verdict-previous-sha256", verdict.previous),
        ),
    )


def build_document(
    ev: dict[str, Any], items: list[dict[str, Any]], verdict: Verdict | None = None
) -> dict[str, Any]:
    run_id = ev["run_id"]
    evaluated_at: datetime = ev["evaluated_at"]
    checklist_resource = _uuid(run_id, "checklist")
    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    risks: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = [
        _with_props(
            {
                "uuid": checklist_resource,
                "title": f"Readiness checklist {ev['checklist_id']} {ev['checklist_version']}",
                "description": (
                    "The checklist the service was evaluated against: its items are the "
                    "controls, their expectations the assessment objectives."
                ),
            },
            _props(
                ("checklist-sha256", ev["checklist_sha256"]), ("spec-sha256", ev["spec_sha256"])
            ),
        )
    ]
    for row in items:
        item_id = row["item_id"]
        status = row["effective_status"]
        observation_id = _uuid(run_id, item_id, "observation")
        evidence: list[dict[str, Any]] = []
        uri, sha = row["evidence_uri"], row["evidence_sha256"]
        if uri:
            evidence.append(
                _with_props(
                    {"href": uri, "description": f"{row['evidence_kind']} evidence for {item_id}"},
                    _props(
                        ("evidence-sha256", sha),
                        (
                            "evidence-observed-at",
                            _ts(row["evidence_observed_at"])
                            if row["evidence_observed_at"]
                            else None,
                        ),
                    ),
                )
            )
            if sha and re.fullmatch(r"[0-9a-f]{64}", sha):
                resources.append(
                    {
                        "uuid": _uuid(run_id, item_id, "evidence"),
                        "title": f"Evidence for {item_id}",
                        "rlinks": [
                            {"href": uri, "hashes": [{"algorithm": "SHA-256", "value": sha}]}
                        ],
                    }
                )
        observation: dict[str, Any] = {
            "uuid": observation_id,
            "title": f"{item_id} {row['title']}",
            "description": row["reason"] or status,
            "methods": ["EXAMINE"] if row["evidence_kind"] in _ATTESTED else ["TEST"],
            # the moment the evidence was collected for (a backfill's as-of), not the wall
            # clock of the read
            "collected": _ts(evaluated_at),
        }
        if row["evidence_expires_at"]:
            observation["expires"] = _ts(row["evidence_expires_at"])
        if evidence:
            observation["relevant-evidence"] = evidence
        observations.append(
            _with_props(
                observation,
                _props(
                    ("status", status),
                    ("collector", row["evidence_kind"]),
                    ("expectations", _expectation_summary(row["expectations"])),
                    # the service runs a modified rule: an auditor must see how
                    ("spec-override", row.get("spec_override")),
                    ("exemption-state", row.get("exemption_state")),
                ),
            )
        )
        finding: dict[str, Any] = {
            "uuid": _uuid(run_id, item_id, "finding"),
            "title": f"{item_id} {row['title']}",
            "description": row["reason"] or status,
            "target": {
                "type": "objective-id",
                "target-id": item_id,
                "status": {
                    "state": FINDING_STATE[Status(status)],
                    "reason": status,
                },
            },
            "related-observations": [{"observation-uuid": observation_id}],
        }
        waiver = _json(row["waiver"])
        if waiver:
            risk_id = _uuid(run_id, item_id, "risk")
            expires = date.fromisoformat(waiver["expires"])
            risks.append(
                _with_props(
                    {
                        "uuid": risk_id,
                        "title": f"Accepted risk: {item_id} {row['title']}",
                        "description": waiver.get("reason") or "waived",
                        "statement": (
                            f"Waived by {waiver.get('approver', '?')} until "
                            f"{expires.isoformat()}"
                            + (f" ({waiver['reference']})" if waiver.get("reference") else "")
                            + "; it stops counting the day after."
                        ),
                        "status": "deviation-approved",
                        "deadline": _ts(datetime.combine(expires, time(23, 59, 59), UTC)),
                        "related-observations": [{"observation-uuid": observation_id}],
                    },
                    _props(
                        ("approver", waiver.get("approver")), ("reference", waiver.get("reference"))
                    ),
                )
            )
            finding["related-risks"] = [{"risk-uuid": risk_id}]
        exemption = _json(row.get("exemption"))
        if exemption and not (waiver and exemption["state"] == "granted"):
            risk_id = _uuid(run_id, item_id, "exemption")
            request = exemption["request"]
            risks.append(
                _with_props(
                    {
                        "uuid": risk_id,
                        "title": f"Exemption {exemption['state']}: {item_id} {row['title']}",
                        "description": request.get("reason") or request.get("change") or "-",
                        "statement": exemption.get("words") or exemption["state"],
                        "status": EXEMPTION_RISK_STATUS[exemption["state"]],
                        "related-observations": [{"observation-uuid": observation_id}],
                    },
                    _props(
                        ("exemption-request", request.get("id")),
                        ("exemption-state", exemption["state"]),
                        ("requested-by", request.get("requested_by")),
                    ),
                )
            )
            finding.setdefault("related-risks", []).append({"risk-uuid": risk_id})
        findings.append(
            _with_props(
                finding,
                _props(
                    ("required-from", row["required_from"]),
                    ("severity", row["severity"]),
                    ("regressed", "true" if row["regressed"] else None),
                ),
            )
        )
    result: dict[str, Any] = _with_props(
        {
            "uuid": _uuid(run_id, "result"),
            "title": f"Readiness evaluation {run_id}",
            "description": (
                f"{ev['service']} achieved {ev['achieved_level']} (target {ev['target_level']}, "
                f"previous {ev['previous_level'] or 'none'}) against checklist "
                f"{ev['checklist_id']} {ev['checklist_version']}."
            ),
            "start": _ts(evaluated_at),
            "end": _ts(evaluated_at),
            "reviewed-controls": {
                "control-selections": [
                    {
                        "description": f"Every item of checklist {ev['checklist_id']}",
                        "include-controls": [{"control-id": r["item_id"]} for r in items]
                        or [{"control-id": "none"}],
                    }
                ]
            },
        },
        _props(
            ("achieved-level", ev["achieved_level"]),
            ("target-level", ev["target_level"]),
            ("previous-level", ev["previous_level"]),
            ("trigger", ev["trigger"]),
            ("dag-run-id", ev["dag_run_id"]),
            ("verdict-sha256", verdict.sha256 if verdict else None),
        ),
    )
    if verdict is not None:
        resources.append(verdict_resource(run_id, verdict))
    for key, values in (("observations", observations), ("risks", risks), ("findings", findings)):
        if values:
            result[key] = values
    return {
        "assessment-results": {
            "uuid": _uuid(run_id, "assessment-results"),
            "metadata": _with_props(
                {
                    "title": f"Production readiness of {ev['service']}: {run_id}",
                    "last-modified": _ts(ev.get("recorded_at") or evaluated_at),
                    "version": str(ev["checklist_version"] or "1"),
                    "oscal-version": OSCAL_VERSION,
                },
                _props(("service", ev["service"]), ("run-id", run_id)),
            ),
            "import-ap": {
                "href": f"#{checklist_resource}",
                "remarks": "The assessment plan is the readiness checklist (back-matter).",
            },
            "results": [result],
            "back-matter": {"resources": resources},
        }
    }


def _expectation_summary(raw: Any) -> str:
    outcomes = _json(raw) or []
    passed = sum(1 for o in outcomes if o.get("success"))
    return f"{passed} of {len(outcomes)} expectations met" if outcomes else ""


def validate(document: dict[str, Any]) -> list[str]:
    """What breaks NIST's OSCAL model of assessment results (compliance-trestle's
    ``AssessmentResults``, generated from NIST's published schema): ``path: message``."""
    from pydantic import ValidationError
    from trestle.oscal.assessment_results import AssessmentResults

    body = document.get("assessment-results")
    if not isinstance(body, dict):
        return ["(root): 'assessment-results' is required"]
    try:  # the model's own validator: trestle's wrapper keeps only the first error
        AssessmentResults.__pydantic_validator__.validate_python(body)
    except ValidationError as exc:
        return [
            f"assessment-results/{'/'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors()
        ]
    return []
