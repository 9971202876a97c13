"""Contexts for tests, each on a runtime of its own: what a single `paa` command would open.

Tests are an interface too: they read the test's environment (PAA_HOME points at a temporary folder) here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from paa.clock import Clock
from paa.core.accounts.auth import AuthContext
from paa.core.context import Acting, Context
from paa.core.runtime import Runtime


def runtime_for(environ: Mapping[str, str] | None = None, *, clock: Clock | None = None) -> Runtime:
    """A runtime on `environ` (default: this test's environment) and the given clock."""
    return Runtime.from_environ(os.environ if environ is None else environ, clock=clock)


@contextmanager
def open_context(
    *,
    write: bool = False,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    acting: Acting | None = None,
) -> Iterator[Context]:
    """One transaction on a fresh runtime, closed after it (as one command does)."""
    with runtime_for(environ, clock=clock) as runtime, runtime.context(write=write, acting=acting) as ctx:
        yield ctx


@contextmanager
def open_auth(
    *, write: bool = False, environ: Mapping[str, str] | None = None, clock: Clock | None = None
) -> Iterator[AuthContext]:
    """One account transaction on a fresh runtime, closed after it."""
    with runtime_for(environ, clock=clock) as runtime, runtime.auth(write=write) as actx:
        yield actx
