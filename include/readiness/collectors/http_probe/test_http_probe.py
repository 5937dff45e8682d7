"""http_probe against a real HTTP server on loopback, and the recorded probe results."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from readiness.collectors import (
    CollectContext,
    CollectRequest,
    CredentialMissing,
    CredentialRefused,
    host_allowed,
)
from readiness.collectors.http_probe.collector import COLLECTOR, metric_names
from readiness.testing.collectors import request
from readiness.testing.emulators import free_port
from readiness.testing.tls import loopback_certificate

DATA = Path(__file__).with_name("testdata")
METRICS = """# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{route="/v1/files",code="200"} 1027
# TYPE upload_duration_seconds histogram
upload_duration_seconds_bucket{le="0.5"} 12
upload_duration_seconds_sum 3.2
upload_duration_seconds_count 14
"""


RELEASE = threading.Event()


TOKEN = "probe-token-5f2c"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/private/healthz":
            ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
            self.path = "/healthz" if ok else "/unauthorized"
        if self.path == "/slow":
            RELEASE.wait(2)  # longer than the probe's timeout; released at teardown
        status, body = {
            "/healthz": (200, "ok"),
            "/readyz": (503, "warming up"),
            "/metrics": (200, METRICS),
            "/slow": (200, "late"),
            "/unauthorized": (401, "who are you"),
        }.get(self.path, (404, "no"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    RELEASE.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    RELEASE.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same endpoints over https, with a certificate the client trusts through
    ``SSL_CERT_FILE`` (what httpx honours, as in production behind a private CA)."""
    cert = loopback_certificate(tmp_path_factory.mktemp("tls"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = cert.server_context().wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", str(cert.ca_file))
        yield f"https://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


SEEN: list[str | None] = []


def _live(params: dict) -> CollectRequest:
    return replace(request(params, DATA / "store"), live=True)


def test_status_and_latency_of_each_endpoint(service: str) -> None:
    ev = COLLECTOR.collect(_live({"urls": [f"{service}/healthz", f"{service}/readyz"]}))
    assert ev.error is None
    assert [(r["url"].rsplit("/", 1)[1], r["status_code"]) for r in ev.rows] == [
        ("healthz", 200),
        ("readyz", 503),
    ]
    assert all(0 <= r["latency_ms"] < 2000 for r in ev.rows)


def test_prometheus_metrics_are_checked_by_name(service: str) -> None:
    wanted = ["http_requests_total", "upload_duration_seconds", "queue_depth"]
    ev = COLLECTOR.collect(_live({"urls": f"{service}/metrics", "metrics": wanted}))
    (row,) = ev.rows
    assert (row["metrics_missing"], row["missing_metrics"]) == (1, "queue_depth")


def test_a_slow_endpoint_is_a_finding_not_an_outage(service: str) -> None:
    ev = COLLECTOR.collect(_live({"urls": f"{service}/slow", "timeout": "1s"}))
    assert ev.error is None and ev.rows[0]["status_code"] == 0


def test_an_unreachable_endpoint_is_a_transient_error() -> None:
    ev = COLLECTOR.collect(_live({"urls": f"http://127.0.0.1:{free_port()}/healthz"}))
    assert ev.error is not None and ev.transient


def test_metric_names_of_an_exposition() -> None:
    names = metric_names(METRICS)
    assert {
        "http_requests_total",
        "upload_duration_seconds",
        "upload_duration_seconds_sum",
    } <= names


def test_recorded_probe_results_by_default() -> None:
    base = "https://svc.example.com"
    ev = COLLECTOR.collect(request({"urls": [f"{base}/healthz", f"{base}/readyz"]}, DATA / "store"))
    assert sorted(r["status_code"] for r in ev.rows) == [200, 503]
    metrics = COLLECTOR.collect(
        request(
            {"urls": f"{base}/metrics", "metrics": ["http_requests_total", "queue_depth"]},
            DATA / "store",
        )
    )
    assert metrics.rows[0]["missing_metrics"] == "queue_depth"
    absent = COLLECTOR.collect(request({"urls": f"{base}/livez"}, DATA / "store"))
    assert not absent.found


ALLOWED = {"status-api": ["localhost"]}


def test_a_named_credential_authenticates_the_probe(secure: str) -> None:
    context = CollectContext(credentials={"status-api": TOKEN}.get, credential_hosts=ALLOWED)
    params = {"urls": f"{secure}/private/healthz", "credential": "status-api"}
    ev = COLLECTOR.collect(replace(_live(params), context=context))
    assert [r["status_code"] for r in ev.rows] == [200]
    anonymous = COLLECTOR.collect(_live({"urls": f"{secure}/private/healthz"}))
    assert [r["status_code"] for r in anonymous.rows] == [401]


def test_a_missing_credential_is_an_error_naming_where_to_put_it(
    secure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("READINESS_CREDENTIAL_STATUS_API", raising=False)
    params = {"urls": f"{secure}/private/healthz", "credential": "status-api"}
    live = replace(_live(params), context=CollectContext(credential_hosts=ALLOWED))
    with pytest.raises(CredentialMissing) as missing:
        COLLECTOR.collect(live)
    assert "'readiness_status-api'" in str(missing.value)
    assert "READINESS_CREDENTIAL_STATUS_API" in str(missing.value)

    monkeypatch.setenv("READINESS_CREDENTIAL_STATUS_API", TOKEN)  # the default source
    ev = COLLECTOR.collect(live)
    assert [r["status_code"] for r in ev.rows] == [200]
    assert TOKEN not in repr(ev) and TOKEN not in repr(CollectContext().credential("status-api"))


class Recording(BaseHTTPRequestHandler):
    """Remembers the Authorization header of every request: a refused credential must
    never arrive."""

    def do_GET(self) -> None:
        SEEN.append(self.headers.get("Authorization"))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: object) -> None:
        pass


@pytest.mark.parametrize(
    "where",
    [
        "http://127.0.0.1:{port}/healthz",  # plain http, even to a host that is allowed
        "https://127.0.0.1:{port}/healthz",  # a host the setting does not name
        "https://localhost.attacker.example:{port}/healthz",  # a lookalike suffix
    ],
)
def test_a_credential_goes_only_to_its_allowed_hosts_over_https(where: str) -> None:
    """A spec builds probe URLs from ${locations.base_url}: without the binding, it picked
    the host a checklist's credential went to, plain http included."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SEEN.clear()
    try:
        url = where.format(port=server.server_address[1])
        context = CollectContext(
            credentials={"status-api": TOKEN}.get,
            credential_hosts={"status-api": ["localhost", "127.0.0.1"]}
            if where.startswith("http:")
            else ALLOWED,
        )
        params = {"urls": [url], "credential": "status-api"}
        with pytest.raises(CredentialRefused) as refused:
            COLLECTOR.collect(replace(_live(params), context=context))
    finally:
        server.shutdown()
        server.server_close()
    assert SEEN == []  # not even the first URL was asked
    assert "nothing was sent" in str(refused.value) and TOKEN not in str(refused.value)
    assert ("https only" if where.startswith("http:") else "credential_hosts") in str(refused.value)


def test_host_patterns() -> None:
    assert host_allowed("status.example.com", ["status.example.com"])
    assert host_allowed("a.b.example.com", ["*.example.com"])
    assert not host_allowed("example.com", ["*.example.com"])
    assert not host_allowed("evilexample.com", ["*.example.com"])
    assert not host_allowed("status.example.com.evil", ["status.example.com"])
    assert not host_allowed("anything", [])
