"""A collector's ``DEFINITION.md`` front matter, machine-read (OpenSSF Scorecard's
``def.yml``): what it reads, its source, how its outages group, its recorded document kind
and its parameters. Tests hold it to the collector's own declarations and ``Params``, and
``docs/collectors.md`` is generated from it, so the prose cannot drift from the code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class Definition:
    kind: str
    source: str
    outage: str
    recorded: str | None
    reads: str
    used_by: str
    #: parameter name → required
    params: dict[str, bool]
    path: Path


def read_definition(kind: str, folder: Path = FOLDER) -> Definition:
    """The front matter of ``<folder>/<kind>/DEFINITION.md``; ValueError naming the file
    and the field when it is missing or malformed."""
    path = folder / kind / "DEFINITION.md"
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise ValueError(f"{path}: expected YAML front matter between '---' lines")
    data = yaml.safe_load(text[4 : text.index("\n---\n", 4)]) or {}
    try:
        params = {str(k): bool((v or {}).get("required", False)) for k, v in data["params"].items()}
        return Definition(
            kind=str(data["kind"]),
            source=str(data["source"]),
            outage=str(data["outage"]),
            recorded=data.get("recorded"),
            reads=str(data["reads"]),
            used_by=str(data.get("used_by", "")),
            params=params,
            path=path,
        )
    except (KeyError, AttributeError, TypeError) as exc:
        raise ValueError(f"{path}: front matter field {exc} is missing or malformed") from exc
