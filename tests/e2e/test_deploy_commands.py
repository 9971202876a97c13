"""The Kubernetes manifests' own commands, environment and probes, run as real processes without a container: the API
container's `paa serve` with the database and Redis URLs read from secret files (`*_FILE`), answering its readiness
and liveness probes' paths; the daemon container's command, which its exec probe sees holding its lock; both stop
cleanly on SIGTERM, as Kubernetes stops them. Only the address and port are changed (127.0.0.1, a free port), and
/run/secrets/paa and the data folder are moved into the test's folder."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy import checks
from tests.e2e.test_serve import free_port
from tests.support.processes import child_env, paa_executable
from tests.support.redis_server import redis_url  # noqa: F401  (the session's Redis)
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = pytest.mark.e2e
SECRETS = "/run/secrets/paa/"


def _containers() -> dict[str, dict[str, Any]]:
    found = {}
    for name, spec in checks.pod_specs(checks.kustomization_objects()):
        for container in spec["containers"]:
            if container["image"] == checks.IMAGE:
                found[name] = container
    return found


def _environment(container: dict[str, Any], home: Path, secrets: Path) -> dict[str, str]:
    """The container's environment, its paths moved into the test's folder; no PAA_NOW: the real clock, as in a pod."""
    moved = {}
    for entry in container["env"]:
        value = str(entry["value"])
        if value.startswith(SECRETS):
            value = str(secrets / value.removeprefix(SECRETS))
        elif entry["name"] == "PAA_HOME":
            value = str(home)
        moved[entry["name"]] = value
    environ = child_env(fixed_clock=False)
    for name in [name for name in environ if name.startswith("PAA_")]:
        del environ[name]  # only what the manifest sets (the test's PAA_HOME is replaced by the manifest's)
    return {**environ, "PAA_KEYRING": "off", "PAA_NO_SERVER": "1", **moved}  # the image's own ENV


def _argv(container: dict[str, Any], port: int) -> list[str]:
    command = container.get("command") or [paa_executable()]
    if command[:1] == ["python"]:
        command = [sys.executable, *command[1:]]
    args = list(container.get("args", []))
    for flag, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        if flag in args:
            args[args.index(flag) + 1] = value
    return [*command, *args]


@contextmanager
def _running(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=GIVE_UP_SECONDS)


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)  # what the kubelet sends first
    _out, err = process.communicate(timeout=GIVE_UP_SECONDS)
    return process.returncode, err


def _answers(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return None


def test_the_api_and_daemon_containers_run_and_pass_their_probes(
    tmp_path: Path,
    redis_url: str,  # noqa: F811
) -> None:
    containers = _containers()
    secrets, home = tmp_path / "secrets", tmp_path / "home"
    secrets.mkdir()
    (secrets / "db-url").write_text(f"sqlite:///{tmp_path / 'db' / 'paa.db'}\n")  # the cluster's database, here
    (secrets / "redis-url").write_text(redis_url + "\n")
    (tmp_path / "db").mkdir()
    api, daemon = containers["paa-api"], containers["paa-daemon"]
    port = free_port()

    with _running(_argv(api, port), _environment(api, home, secrets)) as server:
        base = f"http://127.0.0.1:{port}"
        ready = api["readinessProbe"]["httpGet"]["path"]
        wait_until(lambda: _answers(base + ready) == 200 or server.poll() is not None, what=f"{ready} to answer")
        assert server.poll() is None, server.communicate()[1]
        for kind in ("startupProbe", "livenessProbe"):
            assert _answers(base + api[kind]["httpGet"]["path"]) == 200

        daemon_env = _environment(daemon, home, secrets)
        holds_lock = daemon["livenessProbe"]["exec"]["command"]
        probe_argv = [sys.executable, *holds_lock[1:]]

        def probe() -> int:
            return subprocess.run(probe_argv, env=daemon_env, capture_output=True, timeout=60, check=False).returncode

        assert probe() == 1  # no daemon yet: the probe says so
        with _running(_argv(daemon, port), daemon_env) as running_daemon:
            wait_until(lambda: probe() == 0 or running_daemon.poll() is not None, what="the daemon's lock")
            assert running_daemon.poll() is None, running_daemon.communicate()[1]
            code, err = _stop(running_daemon)
            assert code == 0, err
            assert "started" in err  # --log-stderr: its log reaches the container's output

        code, err = _stop(server)
        assert code == 0, err
        assert '"route":"/readyz"' in err  # the access log, on stderr for `kubectl logs`
