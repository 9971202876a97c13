"""A throwaway Redis for the tests that need one (PAA_REDIS_URL): `redis-server` on a free port of 127.0.0.1, in a
temporary folder, with nothing written to disk, stopped at the end of the session.

Locally, without redis-server installed, those tests are skipped, saying why; under CI (CI set) they fail instead, so
a CI that lost Redis cannot pass by leaving them out (`.ci/run` installs it from the OS packages).
Import the fixture into a test module: `from tests.support.redis_server import redis_url  # noqa: F401`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

from tests.support.waiting import GIVE_UP_SECONDS, wait_until

MISSING = "redis-server is not installed: the Redis tests need it (apt-get install redis-server)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis server only this test session uses (database 0, emptied by nobody: keys carry a test's
    own ids, or the test empties what it uses)."""
    program = shutil.which("redis-server")
    if program is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}; under CI they must run", pytrace=False)
        pytest.skip(MISSING)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="paa-redis-") as folder:
        process = subprocess.Popen(
            [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            wait_until(lambda: process.poll() is not None or _answers(port), what="redis-server to answer")
            assert process.poll() is None, process.communicate()[0]
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.communicate(timeout=GIVE_UP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
