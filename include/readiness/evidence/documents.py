"""Evidence documents: parse JSON / JSONL / CSV objects, check each record against its
documented JSON Schema (``schemas/<kind>.schema.json``) and flatten it into rows.

A record that breaks its schema is reported with the object URI, the record and the
field, never silently dropped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import rfc8785

from readiness.evidence.store import EvidenceStore, ObjectRefused, StoredObject
from readiness.support.timeutil import parse_timestamp

SCHEMA_DIR = Path(__file__).parent / "schemas"


log = logging.getLogger(__name__)


class DocumentError(Exception):
    """A document that cannot be used; the message names the object and field."""


@dataclass(frozen=True)
class DocumentKind:
    name: str
    schema: dict[str, Any]
    time_field: str
    datetime_fields: frozenset[str]
    columns: tuple[str, ...]
    derived: dict[str, list[str]]


def document_kinds() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json"))


@cache
def document_kind(name: str) -> DocumentKind:
    path = SCHEMA_DIR / f"{name}.schema.json"
    if not path.exists():
        raise KeyError(name)
    schema = json.loads(path.read_text())
    props: dict[str, Any] = schema["properties"]
    datetime_fields = frozenset(
        key
        for key, spec in props.items()
        if spec.get("format") in ("date-time", "date") and key != "expires"
    )
    columns = tuple(key for key, spec in props.items() if spec.get("type") != "array")
    return DocumentKind(
        name=name,
        schema=schema,
        time_field=schema["x-readiness-time-field"],
        datetime_fields=datetime_fields,
        columns=columns,
        derived=dict(schema.get("x-readiness-derived", {})),
    )


@cache
def _validator(name: str) -> Any:
    import jsonschema

    kind = document_kind(name)
    cls = jsonschema.validators.validator_for(kind.schema)
    return cls(kind.schema, format_checker=cls.FORMAT_CHECKER)


@cache
def _fast_validator(name: str) -> Any:
    """The schema compiled to Python (fastjsonschema): the fast path for records that are
    valid, which is nearly all of them. A record it rejects goes to the full jsonschema
    validator, which decides and words the message, so results are the same either way."""
    try:
        import fastjsonschema

        schema = {
            k: v for k, v in document_kind(name).schema.items() if k not in ("$schema", "$id")
        }
        return fastjsonschema.compile(schema)
    except Exception:  # a schema it cannot compile: jsonschema alone
        log.debug("no compiled validator for %s", name, exc_info=True)
        return None


@dataclass(frozen=True)
class Document:
    kind: str
    uri: str
    sha256: str
    record: dict[str, Any]
    timestamp: datetime
    #: The record's place in an object holding several, and the sha256 of the record alone
    #: (RFC 8785 JSON): an item that reads one record of an append-only log is hashed on
    #: that record, not on the records appended after its as-of.
    position: int | None = None
    record_sha256: str = ""

    @property
    def source(self) -> tuple[str, str]:
        """(URI, sha256) of exactly what this document is: the object, or its record."""
        if self.position is None:
            return self.uri, self.sha256
        return f"{self.uri}#{self.position}", self.record_sha256


def parse_records(obj: StoredObject, data: bytes) -> list[dict[str, Any]]:
    """Records of one stored object: a JSON object or array, JSON Lines, or CSV."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{obj.uri}: expected UTF-8 text") from exc
    name = obj.name.lower()
    if name.endswith(".csv"):
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    if name.endswith(".jsonl") or name.endswith(".ndjson"):
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DocumentError(
                        f"{obj.uri}: line {number}: malformed JSON: {exc.msg}"
                    ) from exc
        return records
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"{obj.uri}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    return parsed if isinstance(parsed, list) else [parsed]


def _field_path(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate_record(kind: str, uri: str, position: int | None, record: Any) -> dict[str, Any]:
    """Check one record against its kind's schema; DocumentError names object and field."""
    where = uri if position is None else f"{uri} record {position}"
    if not isinstance(record, dict):
        raise DocumentError(f"{where}: expected a JSON object for a {kind} document")
    fast = _fast_validator(kind)
    try:
        if fast is None:
            raise ValueError("no compiled validator")
        fast(record)
        errors = []
    except Exception:  # the full validator says what is wrong (or that nothing is)
        errors = sorted(_validator(kind).iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        field = _field_path(first.absolute_path)
        if first.validator == "required":
            missing = first.message.split("'")[1] if "'" in first.message else first.message
            field, message = missing, "required field is missing"
        else:
            message = first.message
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DocumentError(f"{where}: field '{field}': {message}; see the {kind} schema{more}")
    # jsonschema only checks formats with optional extras installed; timestamps matter too
    # much to depend on that, so they are checked here
    for name in sorted(document_kind(kind).datetime_fields):
        value = record.get(name)
        if value is not None:
            try:
                parse_timestamp(value)
            except (ValueError, TypeError):
                raise DocumentError(
                    f"{where}: field '{name}': expected an ISO-8601 timestamp "
                    f"such as 2026-11-20T06:00:00Z, got {value!r}; see the "
                    f"{kind} schema"
                ) from None
    return record


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted columns (``metrics.errors``); lists stay values."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def to_row(kind: DocumentKind, record: dict[str, Any]) -> dict[str, Any]:
    """Flattened record with timestamps parsed and the kind's derived columns added."""
    row = flatten(record)
    for name in kind.datetime_fields:
        if row.get(name) is not None:
            row[name] = parse_timestamp(row[name])
    for name, (how, left, right) in kind.derived.items():
        if how == "ratio" and row.get(right):
            row[name] = float(row[left]) / float(row[right])
    return row


#: Objects that hold records appended over time, whatever their count.
LOG_SUFFIXES = (".jsonl", ".ndjson", ".csv")


def record_bytes(record: dict[str, Any]) -> bytes:
    """A record's canonical bytes: RFC 8785, or sorted JSON for what it cannot encode (a
    NaN that Python's JSON reader accepted)."""
    try:
        return rfc8785.dumps(record)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode()


def _parsed(store: EvidenceStore, obj: StoredObject) -> tuple[str, list[Any], list[Any]]:
    """(sha256, records, flattened records) of one object, parsed once per store."""
    memo: dict[Any, Any] = store.memo
    try:
        data, sha = store.read(obj)
    except ObjectRefused as exc:  # too large, a link out, not a file: this item's error
        raise DocumentError(str(exc)) from None
    key = ("parsed", obj.uri, sha)
    if key not in memo:
        try:
            records = parse_records(obj, data)
        except DocumentError as exc:
            memo[key] = exc
        else:
            flat = [flatten(r) if isinstance(r, dict) else None for r in records]
            memo[key] = (records, flat)
    found = memo[key]
    if isinstance(found, DocumentError):
        raise found
    return sha, found[0], found[1]


def _document(
    store: EvidenceStore,
    kind: str,
    obj: StoredObject,
    sha: str,
    position: int,
    many: bool,
    record: Any,
) -> Document:
    """One validated record, validated once per store (several items read the same one)."""
    memo: dict[Any, Any] = store.memo
    key = ("doc", kind, obj.uri, sha, position)
    if key not in memo:
        try:
            valid = validate_record(kind, obj.uri, position if many else None, record)
            record_sha = ""
            # a log (or any object of several records) is hashed record by record: an
            # append after the as-of leaves what an earlier evaluation read unchanged
            many = many or obj.name.lower().endswith(LOG_SUFFIXES)
            if many:  # the archive keeps the record's own bytes (CachingStore.source_bytes)
                data = record_bytes(valid)
                record_sha = hashlib.sha256(data).hexdigest()
                memo[("bytes", record_sha)] = data
            memo[key] = Document(
                kind=kind,
                uri=obj.uri,
                sha256=sha,
                record=valid,
                timestamp=parse_timestamp(valid[document_kind(kind).time_field]),
                position=position if many else None,
                record_sha256=record_sha,
            )
        except DocumentError as exc:
            memo[key] = exc
    found = memo[key]
    if isinstance(found, DocumentError):
        raise found
    return found


def load_documents(
    store: EvidenceStore,
    kind: str,
    pattern: str,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> list[Document]:
    """Every record of ``kind`` under ``pattern`` that ``keep`` selects, validated; raises
    DocumentError on the first bad one (the caller makes that item ``error``). Selecting
    before validating means a broken record only affects the items that read it. Parsing
    and validation are memoised on the store, so a run reads each record once."""
    docs: list[Document] = []
    for obj in store.list(pattern):
        sha, records, flat = _parsed(store, obj)
        many = len(records) > 1
        for position, record in enumerate(records):
            if keep is not None and flat[position] is not None and not keep(flat[position]):
                continue
            docs.append(_document(store, kind, obj, sha, position, many, record))
    return docs
