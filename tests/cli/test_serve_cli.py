"""`paa serve`'s checks before it serves: TLS files in pairs, several workers only with Redis, a warning for a
non-loopback address without TLS. The serving itself runs in tests/e2e/test_serve.py."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paa.cli import serve
from paa.errors import ExitCode


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """What `paa serve` would have started uvicorn with (it is not started)."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(serve, "_run", lambda *args: calls.append(args))
    return calls


def test_a_certificate_needs_its_key(cli: Callable[..., Any], tmp_path: Path, started: list[Any]) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not checked here", encoding="utf-8")
    done = cli("serve", "--tls-cert", str(cert))
    assert done.code == ExitCode.INVALID_INPUT
    assert done.err.splitlines()[0] == "paa: error: --tls-cert needs --tls-key too"
    missing = cli("serve", "--tls-cert", str(cert), "--tls-key", str(tmp_path / "nope.pem"))
    assert missing.code == ExitCode.INVALID_INPUT
    assert "--tls-key: no such file" in missing.err
    assert started == []


def test_several_workers_need_redis(cli: Callable[..., Any], started: list[Any]) -> None:
    done = cli("serve", "--workers", "3")
    assert done.code == ExitCode.CONFIG
    assert (
        done.err.splitlines()[0]
        == "paa: error: --workers 3 needs Redis: several workers share their rate limits and presence through it"
    )
    assert started == []


def test_every_interface_without_tls_is_warned_of(cli: Callable[..., Any], started: list[Any]) -> None:
    done = cli("serve", "--host", "0.0.0.0", "--port", "9000")
    assert done.code == 0, done.err
    assert "paa: warning: serving on 0.0.0.0 without TLS" in done.err
    [(host, port, workers, _options, scheme, *_tls)] = started
    assert (host, port, workers, scheme) == ("0.0.0.0", 9000, 1, "http")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_is_served_without_a_warning(cli: Callable[..., Any], started: list[Any], host: str) -> None:
    done = cli("serve", "--host", host)
    assert done.code == 0, done.err
    assert "warning" not in done.err
    assert started[0][0] == host


def test_a_busy_port_is_a_one_line_error(cli: Callable[..., Any]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("serve", "--port", str(port))
    assert done.code == ExitCode.INVALID_INPUT
    assert done.err.splitlines()[0] == f"paa: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "Serving" not in done.out


def test_a_certificate_that_is_not_one_is_a_one_line_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    for name in ("cert.pem", "key.pem"):
        (tmp_path / name).write_text("not PEM\n", encoding="utf-8")
    done = cli("serve", "--port", "0", "--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem"))
    assert done.code == ExitCode.INVALID_INPUT
    assert done.err.startswith("paa: error: --tls-cert and --tls-key are not a PEM certificate and its key")
    assert "Traceback" not in done.err
