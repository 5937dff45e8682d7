"""``readiness verify``: is the history an auditor reads what was signed?

Four checks, each naming the first record that breaks it:
- **chain**: each service's verdicts are numbered 1, 2, 3 … with no gap, and each names
  the sha256 of the one before (a removed, inserted or reordered verdict breaks it);
- **signatures**: every envelope verifies with a key of the keyring, and its payload is
  what the row says (sequence, run, level, hashes);
- **history**: the tables (``evaluations``, ``item_results``) say what each run's verdict
  in force says, and no run is there without one;
- **re-derivation** (``--rederive``): the archived checklist, spec, inputs and evidence,
  each checked against its sha256, scored again, give the same statuses and level.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from readiness.domain.verdicts import PREDICATE_TYPE, Verdict, sha256_hex
from readiness.evidence.archive import Archive, ArchiveProblem
from readiness.history import HistoryStore
from readiness.history import queries as q
from readiness.history.sqlstore import EPOCH
from readiness.support.dsse import Keyring, SignatureProblem


@dataclass
class Broken:
    """One record that does not hold, and what broke."""

    service: str
    record: str
    check: str  # chain | signature | history | archive | rederive
    what: str

    def __str__(self) -> str:
        return f"{self.record}: {self.check}: {self.what}"


@dataclass
class VerifyReport:
    services: dict[str, int] = field(default_factory=dict)  # verdicts checked per service
    runs: int = 0
    rederived: int = 0
    keys: set[str] = field(default_factory=set)
    broken: list[Broken] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def signed_predicate(verdict: Verdict, keyring: Keyring) -> dict[str, Any]:
    """The predicate of a verdict whose signature holds and whose payload is what the row
    says it is; ``SignatureProblem`` otherwise."""
    payload, kid = keyring.verify(verdict.envelope)
    if sha256_hex(payload) != verdict.sha256:
        raise SignatureProblem("the row's verdict_sha256 is not the sha256 of its envelope")
    if kid != verdict.key_id:
        raise SignatureProblem(f"the row names key {verdict.key_id[:16]}, the envelope {kid[:16]}")
    doc = json.loads(payload)
    if doc.get("predicateType") != PREDICATE_TYPE:
        raise SignatureProblem(f"predicate type {doc.get('predicateType')!r} is not a verdict")
    pred: dict[str, Any] = doc["predicate"]
    return pred


def _row_vs_signed(v: Verdict, pred: dict[str, Any]) -> list[str]:
    pairs = [
        ("service", v.service, pred.get("service")),
        ("sequence", v.sequence, pred.get("sequence")),
        ("run_id", v.run_id, pred.get("run", {}).get("id")),
        ("achieved_level", v.achieved_level, pred.get("achieved_level")),
        ("previous_sha256", v.previous, pred.get("previous")),
        ("supersedes_sha256", v.supersedes, pred.get("supersedes")),
        ("evaluated_at", _iso(v.evaluated_at), pred.get("run", {}).get("as_of")),
        ("recorded_at", _iso(v.recorded_at), pred.get("signed_at")),
    ]
    return [
        f"the row says {name} {mine!r}, its signed verdict says {signed!r}"
        for name, mine, signed in pairs
        if not _same(mine, signed)
    ]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str) and a[:4].isdigit() and "T" in a:
        try:
            return datetime.fromisoformat(a) == datetime.fromisoformat(b)
        except ValueError:
            return a == b
    return bool(a == b)


def verify(
    history: HistoryStore,
    keyring: Keyring,
    *,
    service: str = "",
    since: datetime | None = None,
    archive: Archive | None = None,
    rederive: Callable[[dict[str, Any], Archive], list[str]] | None = None,
) -> VerifyReport:
    """Check the chain, signatures and history of every service (or one) since a moment;
    with ``rederive`` (and an archive), score each run in force again from the archive."""
    report = VerifyReport()
    since = since or EPOCH
    chains: dict[str, list[Verdict]] = {}
    for v in history.verdicts(service):
        chains.setdefault(v.service, []).append(v)
    in_force: dict[tuple[str, str], tuple[Verdict, dict[str, Any]]] = {}
    for name, chain in sorted(chains.items()):
        in_force.update(_check_chain(name, chain, keyring, since, report))
    _check_history(history, service, since, in_force, report)
    if rederive is not None and archive is not None:
        for (name, run_id), (v, pred) in sorted(in_force.items()):
            if v.evaluated_at < since:
                continue
            problems = _archive_check(pred, archive)
            if not problems:
                try:
                    problems = rederive(pred, archive)
                except Exception as exc:  # a verdict that cannot be scored again is broken
                    problems = [f"could not score it again: {type(exc).__name__}: {exc}"]
            report.rederived += 1
            for what in problems:
                report.broken.append(Broken(name, f"run {run_id}", "rederive", what))
    return report


def _check_chain(
    name: str, chain: Sequence[Verdict], keyring: Keyring, since: datetime, report: VerifyReport
) -> dict[tuple[str, str], tuple[Verdict, dict[str, Any]]]:
    """The chain of one service; returns the verdict in force for each run (its latest)."""
    in_force: dict[tuple[str, str], tuple[Verdict, dict[str, Any]]] = {}
    seen: dict[str, Verdict] = {}
    expected, before = 1, None
    for v in sorted(chain, key=lambda v: v.sequence):
        label = f"verdict {name}#{v.sequence}"

        def broken(check: str, what: str, label: str = label) -> None:
            report.broken.append(Broken(name, label, check, what))

        if v.sequence != expected:
            if v.sequence < expected:
                broken("chain", f"sequence {v.sequence} appears twice")
            else:
                gone = f"#{expected}" + (f"–#{v.sequence - 1}" if v.sequence - 1 > expected else "")
                broken("chain", f"{gone} missing: the chain goes from #{expected - 1} to here")
        try:
            pred = signed_predicate(v, keyring)
        except (SignatureProblem, ValueError, KeyError) as exc:
            broken("signature", str(exc))
            expected, before = v.sequence + 1, v
            continue
        report.keys.add(v.key_id)
        for what in _row_vs_signed(v, pred):
            broken("signature", what)
        if (
            before is not None
            and before.sequence == v.sequence - 1
            and pred.get("previous") != before.sha256
        ):
            broken(
                "chain",
                f"names {str(pred.get('previous'))[:16]} as the verdict before it, but "
                f"#{before.sequence} is {before.sha256[:16]}: edited or reordered",
            )
        if v.sequence == 1 and pred.get("previous") is not None:
            broken("chain", "the first verdict names a previous one: the chain was cut")
        replaced = pred.get("supersedes")
        if replaced is not None and (replaced not in seen or seen[replaced].run_id != v.run_id):
            broken("chain", f"supersedes {replaced[:16]}, which is no earlier verdict of its run")
        seen[v.sha256] = v
        if v.evaluated_at >= since or v.sequence == 1:
            report.services[name] = report.services.get(name, 0) + 1
        in_force[(name, v.run_id)] = (v, pred)
        expected, before = v.sequence + 1, v
    report.services.setdefault(name, 0)
    return in_force


def _check_history(
    history: HistoryStore,
    service: str,
    since: datetime,
    in_force: dict[tuple[str, str], tuple[Verdict, dict[str, Any]]],
    report: VerifyReport,
) -> None:
    """Each run in ``evaluations`` and ``item_results`` against its verdict in force."""
    runs = history.select(q.VERIFY_EVALUATIONS, service=service, since=since)
    items: dict[str, dict[str, dict[str, Any]]] = {}
    for row in history.select(q.VERIFY_ITEMS, service=service, since=since):
        items.setdefault(row["run_id"], {})[row["item_id"]] = row
    present: set[str] = set()
    for run in runs:
        run_id = run["run_id"]
        name = run_id.partition("@")[0]
        present.add(run_id)
        report.runs += 1
        found = in_force.get((name, run_id))
        label = f"run {run_id}"
        if found is None:
            report.broken.append(Broken(name, label, "history", "in evaluations, with no verdict"))
            continue
        v, pred = found
        where = f"{label} (verdict {v.service}#{v.sequence})"
        for what in _run_vs_signed(run, items.get(run_id, {}), pred):
            report.broken.append(Broken(name, where, "history", what))
    for (name, run_id), (v, _pred) in sorted(in_force.items()):
        if v.evaluated_at >= since and run_id not in present:
            report.broken.append(
                Broken(
                    name,
                    f"verdict {name}#{v.sequence}",
                    "history",
                    f"run {run_id} is signed but gone from evaluations",
                )
            )


def _run_vs_signed(
    run: dict[str, Any], items: dict[str, dict[str, Any]], pred: dict[str, Any]
) -> Iterable[str]:
    checks = [
        ("achieved_level", run["achieved_level"], pred["achieved_level"]),
        ("target_level", run["target_level"], pred["target_level"]),
        ("checklist_sha256", run["checklist_sha256"], pred["checklist"]["sha256"]),
        ("spec_sha256", run["spec_sha256"], pred["spec"]["sha256"]),
        ("evaluated_at", _iso(run["evaluated_at"]), pred["run"]["as_of"]),
    ]
    for column, mine, signed in checks:
        if not _same(mine, signed):
            yield f"evaluations.{column} is {mine!r}, the verdict says {signed!r}"
    signed_items = {i["id"]: i for i in pred["items"]}
    for item_id in sorted(set(items) - set(signed_items)):
        yield f"item_results has {item_id}, which the verdict does not"
    for item_id, signed in sorted(signed_items.items()):
        row = items.get(item_id)
        if row is None:
            yield f"item_results has no row for {item_id}"
            continue
        evidence = signed.get("evidence") or {}
        for column, value in (
            ("status", signed["status"]),
            ("effective_status", signed["effective_status"]),
            ("reason", signed["reason"]),
            ("evidence_uri", evidence.get("uri")),
            ("evidence_sha256", evidence.get("sha256")),
        ):
            if row[column] != value:
                found = row[column]
                yield f"item_results {item_id}.{column} is {found!r}, the verdict says {value!r}"


def _archive_check(pred: dict[str, Any], archive: Archive) -> list[str]:
    """Every archived object the verdict names is there and holds the bytes its name says;
    each evidence record is the one the verdict's URI and sha256 describe."""
    problems = []
    for name, sha in (
        ("checklist", pred["checklist"]["sha256"]),
        ("spec", pred["spec"]["sha256"]),
        ("inputs", pred.get("inputs")),
    ):
        if sha is None:
            problems.append(f"the verdict names no archived {name}")
            continue
        try:
            archive.get(sha)
        except ArchiveProblem as exc:
            problems.append(f"{name}: {exc}")
    for item in pred["items"]:
        evidence = item.get("evidence")
        if not evidence:
            continue
        digest = evidence.get("archived")
        if not digest:
            problems.append(f"{item['id']}: its evidence was not archived")
            continue
        try:
            record = json.loads(archive.get(digest))
        except ArchiveProblem as exc:
            problems.append(f"{item['id']}: {exc}")
            continue
        if (record.get("uri"), record.get("sha256")) != (evidence["uri"], evidence["sha256"]):
            problems.append(f"{item['id']}: the archived record is of other evidence")
        for uri, sha in record.get("sources", []):
            try:
                archive.get(sha)
            except ArchiveProblem as exc:
                problems.append(f"{item['id']}: source {uri}: {exc}")
    return problems


def rederive_with(grace_fallback: int = 2) -> Callable[[dict[str, Any], Archive], list[str]]:
    """Score a verdict again from the archive alone (checklist, spec, inputs, evidence)."""

    def rederive(pred: dict[str, Any], archive: Archive) -> list[str]:
        from readiness.pipeline.codec import evidence_from_json
        from readiness.pipeline.exemptions import Exemptions
        from readiness.pipeline.score import prior_from_inputs, score_service, validation_tasks
        from readiness.pipeline.validation import BatchValidator
        from readiness.spec.loader.checklists import parse_checklist
        from readiness.spec.loader.specs import parse_spec
        from readiness.spec.overrides import effective_items

        as_of = datetime.fromisoformat(pred["run"]["as_of"])
        inputs = json.loads(archive.get(pred["inputs"]))
        with tempfile.TemporaryDirectory(prefix="readiness-rederive-") as tmp:
            c_path = Path(tmp) / f"{pred['checklist']['id']}.yaml"
            s_path = Path(tmp) / Path(pred["spec"]["file"]).name
            c_path.write_bytes(archive.get(pred["checklist"]["sha256"]))
            s_path.write_bytes(archive.get(pred["spec"]["sha256"]))
            checklist, c_problems = parse_checklist(c_path)
            spec, s_problems = parse_spec(s_path)
        if checklist is None or spec is None:
            return [
                f"the archived checklist or spec does not load: {(c_problems + s_problems)[:1]}"
            ]
        exemptions = Exemptions.from_json(inputs["exemptions"])
        items = effective_items(checklist, spec, as_of.date(), exemptions.granted)
        evidence = {}
        for item in pred["items"]:
            if item.get("evidence") and item["evidence"].get("archived"):
                record = json.loads(archive.get(item["evidence"]["archived"]))
                evidence[item["id"]] = evidence_from_json(
                    {**record, "fetched_at": as_of.isoformat()}
                )
        tasks = validation_tasks(spec.service, items, evidence)
        validated = BatchValidator().validate(tasks, as_of) if tasks else {}
        again = score_service(
            run_id=pred["run"]["id"],
            spec=spec,
            checklist=checklist,
            as_of=as_of,
            items=items,
            evidence=evidence,
            validated=validated,
            waivers=exemptions.waivers,
            prior=prior_from_inputs(inputs),
            previous_level=inputs.get("previous_level"),
            grace_runs=int(inputs.get("grace_runs", grace_fallback)),
            exemptions=exemptions,
        )
        problems = []
        now = {r.item.id: r for r in again.items}
        for item in pred["items"]:
            r = now.get(item["id"])
            if r is None:
                problems.append(f"{item['id']}: not in the archived checklist")
            elif (r.status.value, r.effective_status.value) != (
                item["status"],
                item["effective_status"],
            ):
                problems.append(
                    f"{item['id']}: scored {r.status.value} from the archive, "
                    f"the verdict says {item['status']}"
                )
        if again.achieved_level != pred["achieved_level"]:
            problems.append(
                f"the archive scores {again.achieved_level}, the verdict says "
                f"{pred['achieved_level']}"
            )
        return problems

    return rederive
