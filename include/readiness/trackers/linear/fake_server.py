"""A local stand-in for Linear's GraphQL API, for tests: Linear's published schema
(``readiness.trackers.linear.SCHEMA_PATH``, vendored) made executable with graphql-core,
served over HTTP on loopback.

It rejects any document that does not validate against that schema (HTTP 400, recorded in
``rejected``), checks the ``Authorization`` header like Linear does for a personal key, keeps
teams, workflow states, labels, issues and comments in memory, and can be told to answer the
next requests with a rate limit, a 5xx or a hang. Test support only; never imported by the
pipeline."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync, parse, validate

from readiness.trackers.linear import SCHEMA_PATH

_SCHEMAS: dict[Path, GraphQLSchema] = {}


def load_schema(path: Path) -> GraphQLSchema:
    if path not in _SCHEMAS:
        _SCHEMAS[path] = build_schema(path.read_text())
    return _SCHEMAS[path]


@dataclass
class Fault:
    """What to do instead of answering one request."""

    status: int = 200
    code: str | None = None  # GraphQL extensions.code, e.g. RATELIMITED
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0


class FakeLinear:
    """State and resolvers. Field names are Linear's; graphql-core's default resolver calls
    the method of the same name on the root value with the field's arguments."""

    def __init__(self, schema_path: Path = SCHEMA_PATH, api_key: str = "lin_api_fake_key") -> None:
        self.schema = load_schema(schema_path)
        self.api_key = api_key
        self.lock = threading.RLock()
        self.team_rows: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.faults: deque[Fault] = deque()
        #: Hanging requests wait on this; stop() sets it so shutdown never waits them out.
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        for key in ("STO", "OPX", "T"):
            self.add_team(key)

    # ------------------------------------------------------------------ state

    def add_team(self, key: str) -> None:
        team_id = f"team-{key.lower()}"
        states = [
            {"id": f"{team_id}-{kind}", "name": name, "type": kind, "position": pos}
            for pos, (kind, name) in enumerate(
                [
                    ("backlog", "Backlog"),
                    ("unstarted", "Todo"),
                    ("started", "In Progress"),
                    ("completed", "Done"),
                    ("canceled", "Canceled"),
                ]
            )
        ]
        self.team_rows[team_id] = {"id": team_id, "key": key, "name": key, "states": states, "n": 0}

    def state_of(self, identifier: str) -> str:
        issue = next(i for i in self.issues.values() if i["identifier"] == identifier)
        return str(issue["state"]["type"])

    def comments_on(self, identifier: str) -> list[str]:
        issue = next(i for i in self.issues.values() if i["identifier"] == identifier)
        return [c["body"] for c in self.comments.values() if c["issueId"] == issue["id"]]

    def calls(self, kind: str | None = None) -> list[str]:
        """Operation names received (``kind``: ``query`` or ``mutation``), in order."""
        return [r["operation"] for r in self.requests if kind is None or r["kind"] == kind]

    # ------------------------------------------------------------------ resolvers

    @staticmethod
    def _error(message: str, code: str) -> GraphQLError:
        return GraphQLError(message, extensions={"code": code})

    def _issue_out(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {**issue, "labels": {"nodes": [self.labels[i] for i in issue["labelIds"]]}}

    def teams(self, _info: Any, filter: dict[str, Any] | None = None, **_: Any) -> Any:
        key = ((filter or {}).get("key") or {}).get("eq")
        nodes = [
            {**t, "states": {"nodes": t["states"]}}
            for t in self.team_rows.values()
            if key is None or t["key"] == key
        ]
        return {"nodes": nodes}

    def issueLabels(self, _info: Any, filter: dict[str, Any] | None = None, **_: Any) -> Any:
        names = set(((filter or {}).get("name") or {}).get("in") or [])
        workspace_only = ((filter or {}).get("team") or {}).get("null") is True
        nodes = [
            lb
            for lb in self.labels.values()
            if (not names or lb["name"] in names) and (not workspace_only or lb["teamId"] is None)
        ]
        return {"nodes": nodes}

    def issueLabelCreate(self, _info: Any, input: dict[str, Any], **_: Any) -> Any:
        if any(lb["name"].lower() == input["name"].lower() for lb in self.labels.values()):
            raise self._error("duplicate label name", "INPUT_ERROR")
        label_id = f"label-{len(self.labels) + 1}"
        label = {"id": label_id, "name": input["name"], "teamId": input.get("teamId")}
        label["color"] = input.get("color")
        self.labels[label_id] = label
        return {"success": True, "issueLabel": label}

    def issue(self, _info: Any, id: str) -> Any:
        if id not in self.issues:
            raise self._error("Entity not found: Issue", "INPUT_ERROR")
        return self._issue_out(self.issues[id])

    def issueCreate(self, _info: Any, input: dict[str, Any]) -> Any:
        issue_id = input.get("id") or f"issue-{len(self.issues) + 1}"
        if issue_id in self.issues:
            raise self._error("Entity already exists: Issue", "INPUT_ERROR")
        team = self.team_rows.get(input["teamId"])
        if team is None:
            raise self._error("Entity not found: Team", "INPUT_ERROR")
        unknown = [i for i in input.get("labelIds") or [] if i not in self.labels]
        if unknown:
            raise self._error(f"Entity not found: IssueLabel {unknown}", "INPUT_ERROR")
        team["n"] += 1
        identifier = f"{team['key']}-{team['n']}"
        todo = next(s for s in team["states"] if s["type"] == "unstarted")
        self.issues[issue_id] = {
            "id": issue_id,
            "identifier": identifier,
            "url": f"https://linear.app/fake/issue/{identifier}",
            "title": input.get("title"),
            "description": input.get("description"),
            "priority": input.get("priority"),
            "dueDate": input.get("dueDate"),
            "labelIds": list(input.get("labelIds") or []),
            "teamId": team["id"],
            "state": todo,
        }
        return {"success": True, "issue": self._issue_out(self.issues[issue_id])}

    def commentCreate(self, _info: Any, input: dict[str, Any]) -> Any:
        comment_id = input.get("id") or f"comment-{len(self.comments) + 1}"
        if comment_id in self.comments:
            raise self._error("Entity already exists: Comment", "INPUT_ERROR")
        if input.get("issueId") not in self.issues:
            raise self._error("Entity not found: Issue", "INPUT_ERROR")
        self.comments[comment_id] = {
            "id": comment_id,
            "issueId": input["issueId"],
            "body": input.get("body"),
        }
        return {"success": True, "comment": self.comments[comment_id]}

    def issueUpdate(self, _info: Any, id: str, input: dict[str, Any]) -> Any:
        issue = self.issues.get(id)
        if issue is None:
            raise self._error("Entity not found: Issue", "INPUT_ERROR")
        if "stateId" in input:
            team = self.team_rows[issue["teamId"]]
            state = next((s for s in team["states"] if s["id"] == input["stateId"]), None)
            if state is None:
                raise self._error("Entity not found: WorkflowState", "INPUT_ERROR")
            issue["state"] = state
        return {"success": True, "issue": self._issue_out(issue)}

    # ------------------------------------------------------------------ HTTP

    def handle(self, authorization: str | None, raw: bytes) -> tuple[int, dict[str, str], Any]:
        """One POST to /graphql: (status, headers, JSON body)."""
        with self.lock:
            fault = self.faults.popleft() if self.faults else None
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, {}, {"errors": [{"message": "body is not JSON"}]}
        query = str(body.get("query") or "")
        try:
            document = parse(query)
        except GraphQLError as exc:
            return self._reject(body, [exc.message])
        problems = validate(self.schema, document)
        if problems:
            return self._reject(body, [p.message for p in problems])
        kind = next(
            (d.operation.value for d in document.definitions if hasattr(d, "operation")), "query"
        )
        record = {
            "operation": body.get("operationName"),
            "kind": kind,
            "variables": body.get("variables") or {},
            "status": 200,
        }
        with self.lock:
            self.requests.append(record)
        if fault is not None:
            if fault.hang_s:
                self._released.wait(fault.hang_s)
            else:
                record["status"] = fault.status
                errors = [{"message": "fault", "extensions": {"code": fault.code or "FAULT"}}]
                return fault.status, fault.headers, {"errors": errors}
        if authorization != self.api_key:
            record["status"] = 400
            message = "Authentication required, not authenticated"
            errors = [{"message": message, "extensions": {"code": "AUTHENTICATION_ERROR"}}]
            return 400, {}, {"errors": errors}
        with self.lock:
            result = graphql_sync(
                self.schema,
                query,
                root_value=self,
                variable_values=body.get("variables"),
                operation_name=body.get("operationName"),
            )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        headers = {"X-RateLimit-Requests-Remaining": "1000"}
        return 200, headers, out

    def _reject(self, body: dict[str, Any], messages: list[str]) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            self.rejected.append({"operation": body.get("operationName"), "errors": messages})
        errors = [
            {"message": m, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}} for m in messages
        ]
        return 400, {}, {"errors": errors}

    def start(self) -> str:
        """Serve on a free loopback port; returns the endpoint URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, payload = fake.handle(self.headers.get("Authorization"), raw)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a hang test)

            def log_message(self, *_: Any) -> None:
                pass

        self._released.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/graphql"

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
