"""A spec's evidence.store is its own service's: it may not borrow another service's folder
or name any bucket. ``check`` and a run refuse the same specs (pipeline/collect)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from readiness.domain.model import ServiceSpec
from readiness.pipeline.collect import policy_problems
from readiness.spec.config import Settings

SPEC = ServiceSpec(
    service="svc",
    owner_team="t",
    tracker_team="T",
    target_level="L1",
    checklist="c",
    file="services/svc.yaml",
    sha256="0",
)


def _problems(tmp_path: Path, store: str, **settings: object) -> list[str]:
    chosen = Settings(project_root=tmp_path, evidence_root="var/evidence", **settings)  # type: ignore[arg-type]
    return [str(p) for p in policy_problems(chosen, replace(SPEC, evidence_store=store))]


@pytest.mark.parametrize(
    "store",
    [
        "var/evidence/svc",
        "var/evidence/svc/exports",
        "file://{root}/var/evidence/svc",
        "{root}/var/evidence/svc/",
    ],
)
def test_its_own_prefix_is_allowed(tmp_path: Path, store: str) -> None:
    assert _problems(tmp_path, store.format(root=tmp_path)) == []


@pytest.mark.parametrize(
    "store",
    [
        "var/evidence/other-service",  # another service's evidence
        "var/evidence/svc/../other-service",
        "var/evidence",  # every service's
        "samples",  # anywhere in the project
        "/etc",
        "gs://any-bucket/evidence/svc",  # a bucket nobody allowed
    ],
)
def test_anything_else_is_refused_naming_the_field(tmp_path: Path, store: str) -> None:
    (problem,) = _problems(tmp_path, store)
    assert problem.startswith("services/svc.yaml: evidence.store:")
    assert "is not svc's own store" in problem and "evidence_stores" in problem


def test_buckets_that_settings_allow_hold_a_folder_named_after_the_service(
    tmp_path: Path,
) -> None:
    allowed = {"evidence_stores": ["gs://team-evidence/readiness"]}
    assert _problems(tmp_path, "gs://team-evidence/readiness/svc", **allowed) == []
    assert _problems(tmp_path, "gs://team-evidence/readiness/eu/svc", **allowed) == []
    assert _problems(tmp_path, "gs://team-evidence/readiness/other", **allowed)
    assert _problems(tmp_path, "gs://team-evidence/readiness-x/svc", **allowed)
    assert _problems(tmp_path, "gs://team-evidence/readiness/../x/svc", **allowed)


def test_a_gs_evidence_root_confines_to_the_service_prefix(tmp_path: Path) -> None:
    settings = {"evidence_root": "gs://fleet/evidence"}
    chosen = Settings(project_root=tmp_path, **settings)  # type: ignore[arg-type]
    ok = policy_problems(chosen, replace(SPEC, evidence_store="gs://fleet/evidence/svc"))
    other = policy_problems(chosen, replace(SPEC, evidence_store="gs://fleet/evidence/svc2"))
    assert ok == [] and len(other) == 1


def test_check_finds_a_credential_bound_for_a_host_settings_do_not_allow(
    tmp_path: Path,
) -> None:
    """The URL is built from the spec's locations: check names the item and the field."""
    from readiness.testing.collectors import request

    item = request({"urls": "${locations.base_url}/healthz", "credential": "status"}, tmp_path).item
    item = replace(
        item,
        evidence=replace(
            item.evidence,
            kind="http_probe",
            params={"urls": "${locations.base_url}/healthz", "credential": "status"},
        ),
    )
    hosts = {"status": ["status.example.com"]}
    chosen = Settings(project_root=tmp_path, credential_hosts=hosts)
    for base, why in [
        ("http://status.example.com", "https only"),
        ("https://attacker.example", "credential_hosts"),
    ]:
        spec = replace(SPEC, locations={"base_url": base})
        (problem,) = [str(p) for p in policy_problems(chosen, spec, [item])]
        assert problem.startswith("services/svc.yaml: locations: item X1: credential 'status'")
        assert why in problem
    spec = replace(SPEC, locations={"base_url": "https://status.example.com"})
    assert policy_problems(chosen, spec, [item]) == []
