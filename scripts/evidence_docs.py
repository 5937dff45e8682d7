"""Regenerate docs/evidence.md from the evidence schemas and the sample store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from readiness.evidence.documents import document_kind, document_kinds

ROOT = Path(__file__).resolve().parents[1]
INTRO = (
    "Teams' tooling writes these JSON documents into the evidence store "
    "(`<evidence_root>/<service>/<kind>/…`; a folder by default, `gs://` in production). "
    "A file holds one object, an array of objects, JSON Lines (`.jsonl`) or CSV. Every record "
    "is checked against its schema (`include/readiness/evidence/schemas/<kind>.schema.json`, "
    "JSON Schema 2020-12); a record that breaks it makes the items reading it `error` with a "
    "message naming the object, the record and the field. Extra fields are allowed. "
    "Records dated after an evaluation's `as_of` are invisible to it."
)


def examples() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted((ROOT / "samples/evidence").rglob("*.json*")):
        kind = path.parent.name
        if kind in found:
            continue
        text = path.read_text()
        record = json.loads(text.splitlines()[0] if path.suffix == ".jsonl" else text)
        record = record[0] if isinstance(record, list) else record
        if kind == "slo_events":
            record["buckets"] = record["buckets"][:2]
        found[kind] = record
    return found


def main() -> None:
    samples = examples()
    out = [
        "# Evidence documents",
        "",
        INTRO,
        "",
        "This page is generated from the schemas (`scripts/evidence_docs.py`).",
        "",
        "Besides these, coverage reports as CI uploads them (Cobertura XML, lcov, coverage.py "
        "JSON) go in `<evidence_root>/<service>/coverage/`, where `coverage_report` reads "
        "them (`docs/collectors.md`).",
        "",
    ]
    for name in document_kinds():
        kind = document_kind(name)
        schema = kind.schema
        out += [
            f"## `{name}`",
            "",
            schema["description"],
            "",
            f"Folder in the store: `<evidence_root>/<service>/{name}/` (any file name, any"
            " subfolder). "
            f"Timestamp that dates the record: `{kind.time_field}`.",
            "",
            "| field | type | required | meaning |",
            "| --- | --- | --- | --- |",
        ]
        for field, spec in schema["properties"].items():
            kind_text = spec.get("type", "object")
            kind_text = "/".join(kind_text) if isinstance(kind_text, list) else kind_text
            if "enum" in spec:
                kind_text += " (" + ", ".join(map(str, spec["enum"])) + ")"
            if spec.get("format"):
                kind_text += f", {spec['format']}"
            required = "yes" if field in schema["required"] else ""
            out.append(f"| `{field}` | {kind_text} | {required} | {spec.get('description', '')} |")
        if name in samples:
            out += ["", "Example:", "", "```json", json.dumps(samples[name], indent=2), "```"]
        out.append("")
    (ROOT / "docs/evidence.md").write_text("\n".join(out))


if __name__ == "__main__":
    main()
