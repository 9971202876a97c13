"""A real `paa serve` process and a real WebSocket client: a `paa habit log` in another process and the daemon's
reminder reach the client; SIGTERM stops the server cleanly."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.clock import FIXED_NOW
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.processes import child_env, paa_executable
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

PASSWORD = "correct horse battery staple"
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    verify: ssl.SSLContext | bool = True

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=5, verify=self.verify).status_code == 200
        except httpx.HTTPError:
            return False

    def describe(self) -> str:
        return f"paa serve exited with {self.process.returncode}" if self.process.poll() is not None else "running"


@contextmanager
def serving(*flags: str, scheme: str = "http", verify: ssl.SSLContext | bool = True) -> Iterator[Server]:
    """A `paa serve` on a free port of 127.0.0.1, with the test's environment, up once /healthz answers."""
    port = free_port()
    process = subprocess.Popen(
        [paa_executable(), "serve", "--port", str(port), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )  # fmt: skip
    running = Server(process, f"{scheme}://127.0.0.1:{port}", verify)
    try:
        wait_until(lambda: running.healthy() or process.poll() is not None, what="/healthz", describe=running.describe)
        assert process.poll() is None, process.communicate()[1]
        yield running
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=GIVE_UP_SECONDS)


@pytest.fixture
def server(paa_home: Path) -> Iterator[Server]:
    with serving() as running:
        yield running


def register(server: Server, username: str = "alice", verify: ssl.SSLContext | bool = True) -> str:
    """A new account's access token."""
    body = {"username": username, "password": PASSWORD}
    registered = httpx.post(f"{server.url}/api/v1/auth/register", json=body, verify=verify)
    assert registered.status_code == 201, registered.text
    return str(registered.json()["access_token"])


def ws_url(server: Server) -> str:
    return server.url.replace("http", "ws", 1) + "/api/v1/ws"  # https: wss


def receive_until(client: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first message that `wanted` accepts (answering pings on the way); fails after the give-up time."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        try:
            message = json.loads(client.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        except TimeoutError:
            break
        seen.append(message)
        if message["type"] == "ping":
            client.send(json.dumps({"type": "pong"}))
        if wanted(message):
            return message
    raise AssertionError(f"gave up after {GIVE_UP_SECONDS:g} s waiting for a WebSocket message; seen: {seen}")


def test_a_terminal_log_and_the_daemons_reminder_reach_a_websocket_client(
    server: Server, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    token = register(server)
    login = run_paa("auth", "login", "alice", "--password-stdin", input=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    for habit in (["Drink water"], ["Stretch", "--remind", "18:00"]):
        added = run_paa("habit", "add", *habit)
        assert added.returncode == 0, added.stderr

    with connect(ws_url(server)) as client:
        client.send(json.dumps({"type": "auth", "token": token}))
        ready = json.loads(client.recv(timeout=GIVE_UP_SECONDS))
        assert ready["type"] == "ready"

        logged = run_paa("habit", "log", "Drink water")
        assert logged.returncode == 0, logged.stderr
        changed = receive_until(client, lambda message: message["type"] == "data:changed")
        assert changed["data"] == {"areas": ["habits"]} and changed["id"] > ready["last_event_id"]

        # The daemon's one-shot pass at the reminder's time; the running server turns the app channel on by itself.
        at_six = (FIXED_NOW + timedelta(hours=6, seconds=30)).isoformat()
        due = run_paa("remind", "run-due", "--json", env={"PAA_NOW": at_six, "PAA_NOTIFY_CHANNELS": "log"})
        report = json.loads(due.stdout)
        assert (len(report["events"]), report["sent"]) == (1, 2), due.stdout + due.stderr  # on the log and the app
        reminder = receive_until(client, lambda message: message["type"] == "habit:reminder")
    assert reminder["data"]["title"] == "Stretch"
    assert reminder["data"]["due_at"] == "2026-11-26T18:00:00+00:00"
    assert reminder["id"] > changed["id"]


def test_sigterm_stops_the_server_gracefully(server: Server, paa_home: Path) -> None:
    token = register(server)
    marker = paa_home / "server.json"
    assert json.loads(marker.read_text(encoding="utf-8"))["url"] == server.url
    with connect(ws_url(server)) as client:
        client.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(client.recv(timeout=GIVE_UP_SECONDS))["type"] == "ready"
        server.process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                client.recv(timeout=GIVE_UP_SECONDS)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012  # "service restart": reconnect later
    out, err = server.process.communicate(timeout=GIVE_UP_SECONDS)
    assert server.process.returncode == 0, err
    assert f"Serving paa at {server.url}/api/v1" in out
    assert f"stopped serving {server.url}" in err
    assert not marker.exists()


def test_several_workers_without_redis_are_refused(run_paa: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    done = run_paa("serve", "--workers", "2", "--port", str(free_port()))
    assert done.returncode == 7  # a configuration error
    assert done.stderr.splitlines()[0] == (
        "paa: error: --workers 2 needs Redis: several workers share their rate limits and presence through it"
    )


def test_a_chat_streams_over_the_websocket(paa_home: Path, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Well done on the run, Alice.", chunks=3))
    with serving() as server:  # its environment names the fake model's address and key
        token = register(server)
        with connect(ws_url(server)) as client:
            client.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(client.recv(timeout=GIVE_UP_SECONDS))["type"] == "ready"
            client.send(json.dumps({"type": "chat:message", "text": "I ran 5 km", "request_id": "r1"}))
            responses = [receive_until(client, lambda message: message["type"] == "chat:response")]
            while responses[-1]["event"] not in ("done", "error"):
                responses.append(receive_until(client, lambda message: message["type"] == "chat:response"))
    assert [message["event"] for message in responses] == ["delta", "delta", "delta", "done"], responses
    assert "".join(message["data"]["text"] for message in responses[:-1]) == "Well done on the run, Alice."
    assert fake_anthropic.message_requests[-1].body["messages"][-1]["content"][0]["text"] == "I ran 5 km"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here (cryptography is one of paa's dependencies)."""
    import ipaddress
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


def test_with_a_certificate_it_serves_https_and_wss(paa_home: Path, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    trusted = ssl.create_default_context(cafile=str(cert))
    with serving("--tls-cert", str(cert), "--tls-key", str(key), scheme="https", verify=trusted) as server:
        token = register(server, verify=trusted)
        with connect(ws_url(server), ssl=trusted) as client:
            client.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(client.recv(timeout=GIVE_UP_SECONDS))["type"] == "ready"
        server.process.send_signal(signal.SIGTERM)
        out, err = server.process.communicate(timeout=GIVE_UP_SECONDS)
    assert f"Serving paa at {server.url}/api/v1" in out and server.url.startswith("https://")
    assert "warning" not in err


def test_an_environment_file_names_the_database(paa_home: Path, tmp_path: Path) -> None:
    """As the launchd agent of `paa daemon install --with-server` runs it: the secrets come from --env-file."""
    elsewhere = tmp_path / "elsewhere.db"
    env_file = tmp_path / "daemon.env"
    env_file.write_text(f"PAA_DB_URL='sqlite:///{elsewhere}'\n", encoding="utf-8")
    with serving("--env-file", str(env_file)) as server:
        register(server)
    assert elsewhere.is_file() and not list(paa_home.rglob("paa.db"))


def test_a_stop_mid_reply_stores_what_arrived(paa_home: Path, fake_anthropic: FakeAnthropic) -> None:
    gate = threading.Event()  # the fake holds the rest of the reply back until the server is stopping
    scripted = reply("One two three four five six", chunks=6)
    scripted.pace = gate
    fake_anthropic.push(scripted)
    try:
        with serving() as server:
            token = register(server)
            with connect(ws_url(server)) as client:
                client.send(json.dumps({"type": "auth", "token": token}))
                assert json.loads(client.recv(timeout=GIVE_UP_SECONDS))["type"] == "ready"
                client.send(json.dumps({"type": "chat:message", "text": "count for me"}))
                first = receive_until(client, lambda message: message["type"] == "chat:response")
                assert first["data"] == {"text": "One t"}
                server.process.send_signal(signal.SIGTERM)
                with pytest.raises(ConnectionClosed):
                    while True:
                        client.recv(timeout=GIVE_UP_SECONDS)
            gate.set()  # the model goes on streaming, as a real one does: the server stops reading it
            _out, stopped_err = server.process.communicate(timeout=GIVE_UP_SECONDS)
            assert server.process.returncode == 0, stopped_err
        with serving() as again:  # the same data folder, read by a new server
            headers = {"Authorization": f"Bearer {token}"}
            [conversation] = httpx.get(f"{again.url}/api/v1/chat/history", headers=headers).json()
            shown = httpx.get(f"{again.url}/api/v1/chat/history", params={"conversation_id": conversation["id"]},
                              headers=headers).json()  # fmt: skip
    finally:
        gate.set()
    # Stored either way: cut where the stop caught it (marked interrupted), or whole when the model's last words
    # came in before the server had read the socket's end.
    [stored] = [message for message in shown["messages"] if message["role"] == "assistant"]
    whole = "One two three four five six"
    assert stored["content"].startswith("One t") and whole.startswith(stored["content"]), stored
    assert stored["interrupted"] is (stored["content"] != whole), stored
