"""Shared fixtures: every test gets its own PAA_HOME, a fixed clock, and no network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paa.clock import FixedClock
from paa.core.context import Context, open_context

# Thursday 2026-11-26, 12:00 UTC: the day every test lives in unless it says otherwise.
FIXED_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tripwire: any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def paa_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point PAA_HOME at a fresh folder and clear every PAA_* and colour variable."""
    for name in list(os.environ):
        if name.startswith(("PAA_", "ANTHROPIC_")) or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "paa-home"
    monkeypatch.setenv("PAA_HOME", str(home))
    monkeypatch.setenv("PAA_TIMEZONE", "UTC")
    monkeypatch.setenv("PAA_KEYRING", "off")  # never the OS keyring of the machine running the tests
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "120")
    from paa.cli.output import console

    console.cache_clear()
    return home


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


ContextFactory = Callable[..., AbstractContextManager[Context]]


@pytest.fixture
def make_ctx(clock: FixedClock) -> ContextFactory:
    """Open a Context on the test's database with the fixed clock: `with make_ctx(write=True) as ctx:`."""

    def factory(*, write: bool = False) -> AbstractContextManager[Context]:
        return open_context(write=write, clock=clock)

    return factory


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run the paa CLI in-process, through the same entry point as the executable."""
    from paa.cli.main import main

    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def paa_executable() -> str:
    """The installed `paa` script next to this interpreter."""
    candidate = Path(sys.executable).with_name("paa")
    if not candidate.exists():
        pytest.skip("the paa executable is not installed next to this Python")
    return str(candidate)


@pytest.fixture
def run_paa(paa_home: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Run the real `paa` executable in a subprocess with the test's PAA_HOME."""
    exe = paa_executable()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 60):
        full_env = {**os.environ, "PAA_NOW": FIXED_NOW.isoformat(), **(env or {})}
        return subprocess.run([exe, *args], capture_output=True, text=True, env=full_env, input=input, timeout=timeout)

    yield run
