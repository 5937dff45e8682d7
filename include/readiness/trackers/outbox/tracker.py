"""The outbox tracker: the same issue documents as Linear, in SQLite + Markdown."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from readiness.support.timeutil import utcnow
from readiness.trackers import IssueDocument, IssueRef

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issues (
  number INTEGER PRIMARY KEY AUTOINCREMENT,
  episode_id TEXT UNIQUE NOT NULL, issue_key TEXT, service TEXT, item_id TEXT, team_key TEXT,
  title TEXT, body TEXT, labels TEXT, priority INTEGER, due_date TEXT, state TEXT,
  accepted_risk INTEGER DEFAULT 0, created_at TEXT, closed_at TEXT, path TEXT,
  recorded_at TEXT
);
CREATE TABLE IF NOT EXISTS comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT, issue_key TEXT, body TEXT, created_at TEXT,
  recorded_at TEXT
);
"""
#: Columns added since the first release: an older outbox gains them on open.
_ADDED = {"issues": ("recorded_at",), "comments": ("recorded_at",)}


class OutboxTracker:
    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = folder / "outbox.sqlite"
        with self._connect() as con:
            con.executescript(_SCHEMA)
            for table, columns in _ADDED.items():
                have = {r["name"] for r in con.execute(f"PRAGMA table_info({table})")}
                for column in columns:
                    if column not in have:
                        con.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.db, timeout=30)
        con.row_factory = sqlite3.Row
        try:
            with con:
                yield con
        finally:
            con.close()

    def open(self, doc: IssueDocument) -> IssueRef:
        with self._connect() as con:
            row = con.execute(
                "SELECT * FROM issues WHERE episode_id = ?", (doc.episode_id,)
            ).fetchone()
            if row is None:
                cur = con.execute(
                    "INSERT INTO issues (episode_id, service, item_id, team_key, title, body, "
                    "labels, priority, due_date, state, created_at, recorded_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                    (
                        doc.episode_id,
                        doc.service,
                        doc.item_id,
                        doc.team_key,
                        doc.title,
                        doc.body,
                        ",".join(doc.labels),
                        doc.priority,
                        doc.due_date.isoformat() if doc.due_date else None,
                        _moment(doc.at),
                        utcnow().isoformat(),
                    ),
                )
                number = cur.lastrowid
                key = f"OUT-{number}"
                path = self.folder / doc.service / f"{key}-{doc.item_id}.md"
                con.execute(
                    "UPDATE issues SET issue_key = ?, path = ? WHERE number = ?",
                    (key, str(path), number),
                )
                row = con.execute("SELECT * FROM issues WHERE number = ?", (number,)).fetchone()
            self._render(con, row["issue_key"])
            return IssueRef(
                issue_id=row["episode_id"],
                issue_key=row["issue_key"],
                url=Path(row["path"]).resolve().as_uri(),
            )

    def comment(self, ref: IssueRef, body: str, *, at: datetime | None = None) -> None:
        """Idempotent, as Linear's derived comment ids make it there: a retry after the
        comment was written but before its link was saved finds it and posts nothing."""
        moment = _moment(at)
        with self._connect() as con:
            seen = con.execute(
                "SELECT 1 FROM comments WHERE issue_key = ? AND body = ? AND created_at = ?",
                (ref.issue_key, body, moment),
            ).fetchone()
            if seen:
                return
            con.execute(
                "INSERT INTO comments (issue_key, body, created_at, recorded_at) "
                "VALUES (?, ?, ?, ?)",
                (ref.issue_key, body, moment, utcnow().isoformat()),
            )
            self._render(con, ref.issue_key)

    def close(
        self,
        ref: IssueRef,
        body: str,
        *,
        accepted_risk: bool = False,
        at: datetime | None = None,
    ) -> None:
        with self._connect() as con:
            row = con.execute(
                "SELECT state FROM issues WHERE issue_key = ?", (ref.issue_key,)
            ).fetchone()
            if row is not None and row["state"] == "closed":
                return  # already closed by an earlier attempt
            con.execute(
                "INSERT INTO comments (issue_key, body, created_at, recorded_at) "
                "VALUES (?, ?, ?, ?)",
                (ref.issue_key, body, _moment(at), utcnow().isoformat()),
            )
            con.execute(
                "UPDATE issues SET state = 'closed', closed_at = ?, accepted_risk = ? "
                "WHERE issue_key = ?",
                (_moment(at), int(accepted_risk), ref.issue_key),
            )
            self._render(con, ref.issue_key)

    def issues(self) -> list[dict[str, Any]]:
        with self._connect() as con:
            return [dict(r) for r in con.execute("SELECT * FROM issues ORDER BY number")]

    def comments(self, issue_key: str) -> list[str]:
        with self._connect() as con:
            return [
                r["body"]
                for r in con.execute(
                    "SELECT body FROM comments WHERE issue_key = ? ORDER BY id", (issue_key,)
                )
            ]

    def _render(self, con: sqlite3.Connection, key: str) -> None:
        row = con.execute("SELECT * FROM issues WHERE issue_key = ?", (key,)).fetchone()
        comments = con.execute(
            "SELECT * FROM comments WHERE issue_key = ? ORDER BY id", (key,)
        ).fetchall()
        state = row["state"] + (" (accepted risk)" if row["accepted_risk"] else "")
        text = [
            f"# {key}: {row['title']}",
            "",
            f"- state: **{state}**",
            f"- team: {row['team_key']}",
            f"- labels: {row['labels']}",
            f"- priority: {row['priority']}",
            f"- due: {row['due_date'] or '-'}",
            f"- opened: {row['created_at']}",
            f"- closed: {row['closed_at'] or '-'}",
            f"- recorded: {row['recorded_at'] or '-'} (when the outbox wrote it)",
            "",
            row["body"],
        ]
        for comment in comments:
            text += ["", "---", f"**Comment** ({comment['created_at']})", "", comment["body"]]
        path = Path(row["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(text) + "\n", encoding="utf-8")


def _moment(at: datetime | None) -> str:
    """The evaluation's moment (a backfill's as-of), else now."""
    return (at or utcnow()).isoformat()


def from_settings(settings: Any, **_options: Any) -> OutboxTracker:
    """The ``outbox`` entry of ``readiness.trackers.TRACKERS``."""
    return OutboxTracker(settings.path(settings.outbox))
