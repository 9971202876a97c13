"""Local stand-ins for the outside world: an HTTP server that records POSTs, an SMTP server that records mail."""

from __future__ import annotations

import base64
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.waiting import GIVE_UP_SECONDS, wait_until


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Recorder:
    """What a local server received; `status` is what it answers (500 to make deliveries fail)."""

    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = GIVE_UP_SECONDS) -> list[Received]:
        """Wait until `count` requests have arrived; return them."""
        wait_until(lambda: len(self.received) >= count, timeout, what=f"{count} requests",
                   describe=lambda: f"received {len(self.received)}")  # fmt: skip
        return list(self.received)


@contextmanager
def http_recorder() -> Iterator[Recorder]:
    """An HTTP server on 127.0.0.1 that records every POST."""
    recorder = Recorder(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with recorder.lock:
                recorder.received.append(Received(time.time(), self.path, dict(self.headers), body))
            self.send_response(recorder.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_recorder(logins: list[tuple[str, str]] | None = None) -> Iterator[tuple[int, list[str]]]:
    """A minimal SMTP server on 127.0.0.1 (no TLS) that records each message's data.

    Given `logins`, it offers AUTH PLAIN and records each (user, password) it is sent; otherwise it has no auth.
    """
    messages: list[str] = []

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write((line + "\r\n").encode())

        def handle(self) -> None:
            self.reply("220 localhost ready")
            while True:
                line = self.rfile.readline().decode().strip()
                if not line:
                    return
                verb = line.split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250-localhost\r\n250 AUTH PLAIN" if logins is not None and verb == "EHLO" else
                               "250 localhost")  # fmt: skip
                elif verb == "AUTH" and logins is not None:
                    _authzid, user, password = base64.b64decode(line.split(" ")[2]).decode().split("\0")
                    logins.append((user, password))
                    self.reply("235 2.7.0 accepted")
                elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 go on")
                    data = []
                    while (chunk := self.rfile.readline().decode()) not in (".\r\n", ""):
                        data.append(chunk)
                    messages.append("".join(data))
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not here")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], messages
    finally:
        server.shutdown()
        server.server_close()
