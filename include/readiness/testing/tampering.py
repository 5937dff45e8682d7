"""What an insider with write access to history or the evidence archive could do, each
as one function that makes the edit and returns how to undo it (deleting a run cannot be
undone). ``tests/test_verdicts.py`` and ``make verify-demo`` run them against both backends;
``readiness verify`` must catch each and name it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from readiness.domain.verdicts import canonical, sha256_hex
from readiness.history import HistoryStore
from readiness.support.dsse import SigningKey

Undo = Callable[[], None]


def _verdict_row(history: HistoryStore, service: str, sequence: int) -> dict[str, Any]:
    rows = history.select(
        "SELECT * FROM {dataset}.verdicts WHERE service = @s AND sequence = @n",
        s=service,
        n=sequence,
    )
    if len(rows) != 1:
        raise LookupError(f"no single verdict {service}#{sequence}")
    return rows[0]


def predicate(history: HistoryStore, service: str, sequence: int) -> dict[str, Any]:
    envelope = json.loads(_verdict_row(history, service, sequence)["envelope"])
    pred: dict[str, Any] = json.loads(base64.b64decode(envelope["payload"]))["predicate"]
    return pred


def edit_item(
    history: HistoryStore, run_id: str, status: str = "pass", among: str = "fail"
) -> tuple[str, Undo]:
    """Turn the first item of a run whose status is ``among`` into ``status``; (item id,
    undo)."""
    failing = history.select(
        "SELECT item_id, status FROM {dataset}.item_results WHERE run_id = @r "
        "AND status = @among ORDER BY item_id LIMIT 1",
        r=run_id,
        among=among,
    )[0]
    edit = "UPDATE {dataset}.item_results SET status = @to WHERE run_id = @r AND item_id = @i"
    history.select(edit, to=status, r=run_id, i=failing["item_id"])

    def undo() -> None:
        history.select(edit, to=failing["status"], r=run_id, i=failing["item_id"])

    return failing["item_id"], undo


def reorder(history: HistoryStore, service: str, first: int, second: int) -> Undo:
    """Swap the places of two verdicts in their chain."""
    swap = (
        "UPDATE {dataset}.verdicts SET sequence = CASE sequence WHEN @a THEN @b ELSE @a END "
        "WHERE service = @s AND sequence IN (@a, @b)"
    )
    history.select(swap, a=first, b=second, s=service)

    def undo() -> None:
        history.select(swap, a=first, b=second, s=service)

    return undo


def swap_archived(
    history: HistoryStore, archive_folder: Path, service: str, sequence: int
) -> tuple[str, Undo]:
    """Replace the archived evidence record of a verdict's first archived item with one
    that has no rows; (item id, undo)."""
    item = next(
        i
        for i in predicate(history, service, sequence)["items"]
        if (i["evidence"] or {}).get("archived")
    )
    digest = item["evidence"]["archived"]
    path = archive_folder / "sha256" / digest[:2] / digest
    original = path.read_bytes()
    path.write_bytes(canonical({**json.loads(original), "rows": []}))

    def undo() -> None:
        path.write_bytes(original)

    return item["id"], undo


def resign(
    history: HistoryStore, service: str, sequence: int, level: str = "L4"
) -> tuple[str, Undo]:
    """Rewrite a verdict to say ``level`` and sign it with a key nobody trusts, updating
    every column that names it; (the intruder's key id, undo)."""
    row = _verdict_row(history, service, sequence)
    envelope = json.loads(row["envelope"])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["achieved_level"] = level
    forged = canonical(statement)
    intruder = SigningKey.generate()
    edit = (
        "UPDATE {dataset}.verdicts SET envelope = @e, verdict_sha256 = @h, key_id = @k, "
        "achieved_level = @l WHERE service = @s AND sequence = @n"
    )
    history.select(
        edit,
        e=json.dumps(intruder.sign(forged), sort_keys=True, separators=(",", ":")),
        h=sha256_hex(forged),
        k=intruder.keyid,
        l=level,
        s=service,
        n=sequence,
    )

    def undo() -> None:
        history.select(
            edit,
            e=row["envelope"],
            h=row["verdict_sha256"],
            k=row["key_id"],
            l=row["achieved_level"],
            s=service,
            n=sequence,
        )

    return intruder.keyid, undo


def delete_run(history: HistoryStore, run_id: str) -> None:
    """Remove a run from every table that holds it, its verdict included."""
    for table in ("evaluations", "item_results", "verdicts"):
        history.select(f"DELETE FROM {{dataset}}.{table} WHERE run_id = @r", r=run_id)
