"""A TCP port on 127.0.0.1 that takes connections and never answers: a Redis (or any server) behind a firewall that
drops packets, which only a client's own timeouts get out of. Refusing ports (nothing listening) fail at once and
test nothing about timeouts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def silent_port() -> Iterator[int]:
    """A listening port whose connections the kernel completes but nobody reads from or writes to."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


@contextmanager
def silent_redis_url() -> Iterator[str]:
    """A redis:// URL of a silent port."""
    with silent_port() as port:
        yield f"redis://127.0.0.1:{port}/0"
