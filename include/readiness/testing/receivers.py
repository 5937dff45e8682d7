"""Local receivers for the notification tests: a Slack-style incoming webhook and an SMTP
server, on loopback, each a context manager that stops its server however the test ends."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Webhook:
    url: str
    #: each POST's JSON body, in arrival order
    received: list[dict[str, Any]] = field(default_factory=list)
    #: answer this many POSTs with HTTP 500 first (a Slack outage)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def webhook_receiver() -> Iterator[Webhook]:
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
            body = self.rfile.read(size)
            with hook.lock:
                failing = hook.fail_next > 0
                hook.fail_next -= 1 if failing else 0
                if not failing:
                    hook.received.append(json.loads(body or b"{}"))
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"outage" if failing else b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Mailbox:
    port: int
    received: list[Message] = field(default_factory=list)


@contextmanager
def smtp_receiver() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox(port=0)

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            box.received.append(message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd checks its own port, so it cannot take 0
        probe.bind(("127.0.0.1", 0))
        box.port = int(probe.getsockname()[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
