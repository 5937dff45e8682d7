"""A spec that lowers its target, or moves its service to an easier checklist, asks for it:
the change is recorded as an event, and until someone the checklist names grants it the
service is held to its old target, or cannot rise above the level it held on its old
checklist. Runs the story's maintenance-service (L1 of target L3) through the engine on a
real DuckDB history."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from readiness.history import RunMeta, history_for
from readiness.pipeline.engine import evaluate
from readiness.spec.config import Settings

ROOT = Path(__file__).resolve().parents[2]
MNT = "maintenance-service"
DAY = datetime(2026, 11, 20, 6, tzinfo=UTC)


def _project(tmp_path: Path) -> Settings:
    for name in ("services", "checklists"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "samples" / "exemptions", tmp_path / "exemptions")
    return Settings(
        project_root=ROOT,
        checklists=[str(tmp_path / "checklists")],
        services=[str(tmp_path / "services" / f"{MNT}.yaml")],
        exemptions_root=str(tmp_path / "exemptions"),
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )


def _edit(tmp_path: Path, **changes: object) -> None:
    path = tmp_path / "services" / f"{MNT}.yaml"
    spec = yaml.safe_load(path.read_text())
    spec.update(changes)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def _run(settings: Settings, at: datetime, key: str) -> object:
    (ev,) = evaluate(settings, services=[MNT], as_of=at, meta=RunMeta(key)).evaluations
    return ev


def _grant(tmp_path: Path, request_id: str, at: datetime) -> None:
    folder = tmp_path / "exemptions" / MNT / "grant"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{request_id}.json").write_text(
        json.dumps(
            {
                "request": request_id,
                "item": "-",
                "reason": "agreed: the cutover moves to Q1",
                "approver": "sre-lead@example.com",
                "granted_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "expires": (at + timedelta(days=30)).date().isoformat(),
            }
        )
    )


def test_a_lower_target_is_held_until_granted_and_recorded(tmp_path: Path) -> None:
    settings = _project(tmp_path)
    assert _run(settings, DAY, "r1").target_level == "L3"  # type: ignore[attr-defined]
    _edit(tmp_path, target_level="L1")
    held = _run(settings, DAY + timedelta(hours=1), "r2")
    assert held.target_level == "L3" and held.below_target  # type: ignore[attr-defined]
    (request,) = [s for s in held.exemptions if s.request.kind == "target_level"]  # type: ignore[attr-defined]
    assert request.state == "requested" and request.request.change == "target L3 → L1"
    history = history_for(settings)
    changed = [e for e in history.exemption_events(MNT) if e["event"] == "changed"]
    assert [e["comment"] for e in changed] == ["target L3 → L1 (lowered)"]

    _grant(tmp_path, request.request.id, DAY + timedelta(hours=2))
    granted = _run(settings, DAY + timedelta(hours=3), "r3")
    assert granted.target_level == "L1" and not granted.below_target  # type: ignore[attr-defined]
    later = _run(settings, DAY + timedelta(hours=4), "r4")  # L1 is now the baseline
    assert later.target_level == "L1" and not any(  # type: ignore[attr-defined]
        s.request.kind == "target_level"
        for s in later.exemptions  # type: ignore[attr-defined]
    )


def test_a_move_to_an_easier_checklist_cannot_raise_the_level_until_granted(
    tmp_path: Path,
) -> None:
    settings = _project(tmp_path)
    assert _run(settings, DAY, "r1").achieved_level == "L1"  # type: ignore[attr-defined]
    # an easier checklist: the same, without its L2 and L3 items
    source = yaml.safe_load((tmp_path / "checklists" / "maintenance-cutover.yaml").read_text())
    source["checklist"] = "maintenance-lite"
    for section in source["sections"]:
        section["items"] = [
            i
            for i in section["items"]
            if i.get("required_from", section.get("required_from")) in ("L0", "L1")
            or i["id"] in ("AI6", "OBS4")
        ]
    source["sections"] = [section for section in source["sections"] if section["items"]]
    (tmp_path / "checklists" / "maintenance-lite.yaml").write_text(yaml.safe_dump(source))
    _edit(tmp_path, checklist="maintenance-lite")
    moved = _run(settings, DAY + timedelta(hours=1), "r2")
    assert moved.achieved_level == "L1" and moved.held_checklist == "maintenance-cutover"  # type: ignore[attr-defined]
    (request,) = [s for s in moved.exemptions if s.request.kind == "checklist"]  # type: ignore[attr-defined]
    assert request.request.change == "checklist maintenance-cutover → maintenance-lite"
    again = _run(settings, DAY + timedelta(hours=2), "r3")  # still held: the request stays
    assert again.held_checklist == "maintenance-cutover"  # type: ignore[attr-defined]

    _grant(tmp_path, request.request.id, DAY + timedelta(hours=3))
    granted = _run(settings, DAY + timedelta(hours=4), "r4")
    assert granted.held_checklist is None  # type: ignore[attr-defined]
    assert granted.achieved_level == "L3"  # type: ignore[attr-defined]
    history = history_for(settings)
    events = [(e["event"], e["kind"]) for e in history.exemption_events(MNT)]
    assert ("changed", "checklist") in events and ("granted", "checklist") in events
