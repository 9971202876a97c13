"""Contexts for tests, each on a runtime of its own: what a single `paa` command would open.

Tests are an interface too: they read the test's environment (PAA_HOME points at a temporary folder) here.
What the environment cannot give (a fixed security clock, cheap password hashing) tests give the Runtime
constructor: `inject` does it for every command the CLI runs and every runtime made here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from paa.cli.runtime import CommandRuntime
from paa.clock import Clock
from paa.core.accounts.auth import AuthContext
from paa.core.accounts.passwords import HashParams
from paa.core.context import Acting, Context
from paa.core.runtime import Runtime

# argon2id at its smallest: a hash takes well under 1 ms (the real default ~0.4 s). Only trusted code can ask for
# it; PAA_ARGON2 may not go below the defaults.
TEST_HASHING = HashParams(time_cost=1, memory_cost=64, parallelism=1)


def inject(monkeypatch: pytest.MonkeyPatch, **options: Any) -> None:
    """Give every Runtime this test builds (each CLI command's, `runtime_for`'s) these constructor options.

    E.g. `inject(monkeypatch, security_clock=FixedClock(...))`; `security_clock=None` is the system clock.
    """
    monkeypatch.setattr(CommandRuntime, "runtime_options", {**CommandRuntime.runtime_options, **options})


def runtime_for(environ: Mapping[str, str] | None = None, *, clock: Clock | None = None, **options: Any) -> Runtime:
    """A runtime on `environ` (default: this test's environment) and the given clock.

    Cheap hashing and what `inject` gave, unless `options` (`security_clock`, `hash_params`) say otherwise.
    """
    given = {"hash_params": TEST_HASHING, **CommandRuntime.runtime_options, **options}
    return Runtime.from_environ(os.environ if environ is None else environ, clock=clock, **given)


@contextmanager
def open_context(
    *,
    write: bool = False,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    acting: Acting | None = None,
    **options: Any,
) -> Iterator[Context]:
    """One transaction on a fresh runtime, closed after it (as one command does); `options` as `runtime_for`'s."""
    with runtime_for(environ, clock=clock, **options) as runtime, runtime.context(write=write, acting=acting) as ctx:
        yield ctx


@contextmanager
def open_auth(
    *, write: bool = False, environ: Mapping[str, str] | None = None, clock: Clock | None = None, **options: Any
) -> Iterator[AuthContext]:
    """One account transaction on a fresh runtime, closed after it; `options` as `runtime_for`'s."""
    with runtime_for(environ, clock=clock, **options) as runtime, runtime.auth(write=write) as actx:
        yield actx
