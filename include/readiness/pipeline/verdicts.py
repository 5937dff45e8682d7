"""Sealing a recorded run: its evidence archived by content, its verdict signed and
appended to the service's chain (``domain/verdicts``, ``support/dsse``).

The collect stage archives the raw objects and records each item read
(``archive_sources``); the record stage archives what scoring was given (the evidence
records, the spec, the checklist, the exemptions and prior states) and signs one verdict
per evaluation (``seal``): one signature per run, whichever path ran it."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from readiness.collectors import CredentialSource, environment_credentials
from readiness.domain.model import Evidence, ServiceEvaluation
from readiness.domain.verdicts import ChainLink, Verdict, canonical, sha256_hex, statement
from readiness.evidence.archive import Archive
from readiness.evidence.store import EvidenceStore
from readiness.history import HistoryStore
from readiness.pipeline.codec import evidence_to_json
from readiness.spec.config import Settings
from readiness.support.dsse import Keyring, SignatureProblem, SigningKey, envelope_payload
from readiness.support.errors import ConfigError, Problem
from readiness.support.timeutil import utcnow

log = logging.getLogger(__name__)

#: The credential name of the signing key: Airflow connection ``readiness_verdict_key``,
#: or ``READINESS_CREDENTIAL_VERDICT_KEY``.
KEY_CREDENTIAL = "verdict_key"


def keyring_path(settings: Settings) -> Path:
    if settings.verdict_keyring:
        return settings.path(settings.verdict_keyring)
    return settings.state_folder / "verdict-keyring.json"


def keyring(settings: Settings) -> Keyring:
    path = keyring_path(settings)
    try:
        return Keyring.load(path)
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(
            [Problem(str(path), "verdict_keyring", f"expected a keyring of PEM keys: {exc}")]
        ) from exc


def signing_key(settings: Settings, credentials: CredentialSource | None = None) -> SigningKey:
    """The key this process signs with: the credential if one is set, else the
    ``verdict_key`` file, generated only while the keyring is open (see below). It must be
    in the keyring: a verdict nobody can check is refused before anything is written."""
    found = (credentials or environment_credentials)(KEY_CREDENTIAL)
    ring_path = keyring_path(settings)
    # trust on first use: with no keyring yet, the key becomes its first; once a keyring
    # exists, only the embedded default's (neither setting given) takes a key by itself
    open_ring = not ring_path.exists() or not (settings.verdict_key or settings.verdict_keyring)
    path = (
        settings.path(settings.verdict_key)
        if settings.verdict_key
        else (settings.state_folder / "verdict-key.pem")
    )
    where = f"connection readiness_{KEY_CREDENTIAL} or READINESS_CREDENTIAL_VERDICT_KEY"
    try:
        if found:
            key = SigningKey.from_pem(found)
            where = "the verdict_key credential"
        elif path.exists():
            key = SigningKey.from_pem(path.read_bytes())
            where = str(path)
        elif open_ring:
            key = _generate(path)
        else:
            why = f"no signing key: expected {where}, or a PEM file here"
            raise ConfigError([Problem(str(path), "verdict_key", why)])
    except ValueError as exc:
        raise ConfigError([Problem(where, "verdict_key", str(exc))]) from None
    ring = keyring(settings)
    if key.keyid not in ring.keys:
        if not open_ring:
            raise ConfigError(
                [
                    Problem(
                        str(ring_path),
                        "verdict_keyring",
                        f"the signing key {key.keyid[:16]} is not in the keyring; add its "
                        "public key (docs/audit.md, rotating the key)",
                    )
                ]
            )
        ring.add(key.public)
        ring.save(ring_path)
    return key


def _generate(path: Path) -> SigningKey:
    """A new key, written once, readable by its owner only (a racing process that wrote it
    first wins, and its key is the one used)."""
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return SigningKey.from_pem(path.read_bytes())
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_pem())
    log.info("generated verdict signing key %s in %s", key.keyid[:16], path)
    return key


def evidence_archive(settings: Settings) -> Archive | None:
    if settings.evidence_archive == "none":
        return None
    if not settings.evidence_archive:
        return Archive(str(settings.state_folder / "evidence-archive"))
    return Archive(settings.evidence_archive, settings.project_root)


def archive_sources(
    archive: Archive | None, store: EvidenceStore, evidence: Mapping[str, Evidence]
) -> int:
    """Copy the objects and records the items read into the archive, once each (the
    collect stage, which holds their bytes); how many were found to copy."""
    if archive is None:
        return 0
    reader = getattr(store, "source_bytes", None)
    copied = 0
    seen: set[str] = set()
    for ev in evidence.values():
        for uri, sha in ev.sources:
            if sha in seen or reader is None:
                continue
            seen.add(sha)
            data = reader(uri, sha)
            if data is not None:
                archive.put(data)
                copied += 1
    return copied


def evidence_record(ev: Evidence) -> bytes:
    """What an item was scored on: the codec's JSON without the moment it was fetched
    (scoring never reads it), keys sorted, so the same evidence archives once. Only the
    signed payload needs RFC 8785; a record is named by the sha256 of the bytes written,
    and Python's encoder is ten times faster than a pure-Python JCS."""
    data = evidence_to_json(ev)
    data.pop("fetched_at")
    return _sorted_json(data)


def _sorted_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


#: The link fields of a statement: what the chain fills in when the verdict is signed.
LINK_FIELDS = ("sequence", "previous", "supersedes", "signed_at")


def archive_run(
    settings: Settings, archive: Archive | None, ev: ServiceEvaluation
) -> tuple[dict[str, str], str | None]:
    """Archive what scoring was given (the spec and checklist as scored, each item's
    evidence record, the other inputs); the item ids' archive digests and the inputs'."""
    if archive is None:
        return {}, None
    for path, sha in ((ev.checklist.file, ev.checklist.sha256), (ev.spec.file, ev.spec.sha256)):
        source = settings.path(path)
        if source.is_file():
            data = source.read_bytes()
            if sha256_hex(data) == sha:  # the file as scored, not an edit since
                archive.put(data)
    archived = {
        r.item.id: archive.put(evidence_record(r.evidence))
        for r in ev.items
        if r.evidence is not None
    }
    inputs = archive.put(_sorted_json(ev.inputs)) if ev.inputs else None
    return archived, inputs


def unlinked_statement(
    settings: Settings, ev: ServiceEvaluation, archive: Archive | None
) -> dict[str, Any]:
    """The run's statement, its inputs archived, before it has a place in a chain."""
    archived, inputs = archive_run(settings, archive, ev)
    doc = statement(ev, ChainLink(0), archived, inputs)
    for name in LINK_FIELDS:
        doc["predicate"].pop(name, None)
    return doc


def says_the_same(verdict: Verdict, doc: Mapping[str, Any]) -> bool:
    """Whether a signed verdict states ``doc``, its place in the chain aside."""
    try:
        signed = json.loads(envelope_payload(verdict.envelope))
        predicate = dict(signed["predicate"])
    except (SignatureProblem, ValueError, KeyError, TypeError):
        return False
    for name in LINK_FIELDS:
        predicate.pop(name, None)
    return bool({**signed, "predicate": predicate} == doc)


@dataclass
class Sealer:
    """Signs and appends the verdicts of recorded runs."""

    settings: Settings
    key: SigningKey
    archive: Archive | None = None

    @classmethod
    def of(cls, settings: Settings, credentials: CredentialSource | None = None) -> Sealer:
        return cls(settings, signing_key(settings, credentials), evidence_archive(settings))

    def sign(
        self,
        doc: Mapping[str, Any],
        link: ChainLink,
        *,
        service: str,
        run_id: str,
        evaluated_at: datetime,
        achieved_level: str,
    ) -> Verdict:
        """The verdict of an unlinked statement at ``link``, signed now."""
        signed_at = utcnow()
        predicate = {
            **doc["predicate"],
            "sequence": link.sequence,
            "previous": link.previous,
            "supersedes": link.supersedes,
            "signed_at": signed_at.isoformat(),
        }
        payload = canonical({**doc, "predicate": predicate})
        return Verdict(
            service=service,
            sequence=link.sequence,
            run_id=run_id,
            evaluated_at=evaluated_at,
            sha256=sha256_hex(payload),
            previous=link.previous,
            supersedes=link.supersedes,
            key_id=self.key.keyid,
            achieved_level=achieved_level,
            envelope=self.key.sign(payload),
            recorded_at=signed_at,
        )

    def seal(self, history: HistoryStore, ev: ServiceEvaluation) -> Verdict:
        """Archive the run's inputs, then sign its verdict onto the service's chain."""
        doc = unlinked_statement(self.settings, ev, self.archive)

        def build(link: ChainLink) -> Verdict:
            return self.sign(
                doc,
                link,
                service=ev.service,
                run_id=ev.run_id,
                evaluated_at=ev.evaluated_at,
                achieved_level=ev.achieved_level,
            )

        verdict = history.append_verdict(ev.service, ev.run_id, build)
        self.archive_verdict(verdict)
        return verdict

    def archive_verdict(self, verdict: Verdict) -> None:
        if self.settings.verdict_archive:
            Archive(self.settings.verdict_archive, self.settings.project_root).put_named(
                f"{verdict.service}/{verdict.sequence:08d}-{verdict.sha256[:16]}.dsse.json",
                canonical(verdict.envelope),
            )
