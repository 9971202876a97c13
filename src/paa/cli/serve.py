"""`paa serve`: the REST API and WebSocket events over HTTP, on uvicorn (docs/api.md).

fastapi and uvicorn are imported inside the command only: no other command loads them (tests/e2e/test_imports.py).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paa.config_sources import read_secret_files
from paa.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    from types import FrameType

LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
GRACEFUL_SECONDS = 30  # how long a stop waits for requests and streams in flight before cancelling them
WS_MAX_BYTES = 1_000_000  # one WebSocket message from a client: chat text and small JSON, never files


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free one).")] = 8750,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes; more than one needs Redis.")] = 1,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM), with --tls-key.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM), with --tls-cert.")] = None,
    cors_origin: Annotated[
        list[str] | None, typer.Option(help="A browser origin allowed to call the API (repeat for more).")
    ] = None,
    env_file: Annotated[
        Path | None, typer.Option(help="Read KEY=value lines (secrets such as PAA_DB_URL) from it; they win.")
    ] = None,
) -> None:
    """Serve the REST API and WebSocket events until Ctrl-C or SIGTERM.

    Clients send a bearer token: from POST /api/v1/auth/login, or `paa auth token create`.

    The API's reference is at /api/v1/docs while it runs.

    Examples:

      paa serve

      paa serve --port 9000 --cors-origin https://paa.example.org

      paa serve --host 0.0.0.0 --workers 2 --tls-cert cert.pem --tls-key key.pem
    """
    from paa.daemon.service import require_server_extra

    require_server_extra()  # a one-line error, not an ImportError, without `paa[server]`
    from paa.api.app import ServerOptions

    if env_file is not None:
        _read_env_file(env_file)
    _check_tls(tls_cert, tls_key)
    from paa.cli import runtime as command_runtime

    environ = read_secret_files(command_runtime.environ())  # os.environ, the environment file, secrets from files
    if workers > 1 and not environ.get("PAA_REDIS_URL"):
        raise ConfigError(
            f"--workers {workers} needs Redis: several workers share their rate limits and presence through it",
            hint="set PAA_REDIS_URL=redis://host:6379/0, or run one worker",
            field="workers",
        )
    scheme = "https" if tls_cert else "http"
    if not tls_cert and not _is_loopback(host):
        typer.echo(
            f"paa: warning: serving on {host} without TLS: tokens and passwords cross the network in the clear "
            "(give --tls-cert and --tls-key, or put a TLS proxy in front)",
            err=True,
        )
    settings = command_runtime.current().loaded.settings  # server.* (rate limits, body size, origins)
    options = ServerOptions.from_settings(settings, cors_origins=tuple(cors_origin or ()), workers=workers)
    _run(host, port, workers, options, scheme, tls_cert, tls_key)


def _read_env_file(path: Path) -> None:
    """Take the environment file's values (a service's secrets: launchd has no EnvironmentFile=) as this command's
    environment; a missing file adds nothing, as systemd's `EnvironmentFile=-` does."""
    from paa.cli import runtime as command_runtime
    from paa.daemon.service import read_env_file

    try:
        values = read_env_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the environment file {path}: {exc}", field="env_file") from None
    command_runtime.add_environ(values)


def _check_redis(url: str) -> None:
    """A one-line error now, not a failure in every worker, when the redis extra or the server is missing."""
    import importlib.util

    if importlib.util.find_spec("redis") is None:
        raise ConfigError("PAA_REDIS_URL is set but the redis package is not installed",
                          hint="pip install 'paa[redis]'", field="PAA_REDIS_URL")  # fmt: skip
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigError(f"cannot reach Redis at PAA_REDIS_URL: {exc}", field="PAA_REDIS_URL") from None


def _check_tls(cert: Path | None, key: Path | None) -> None:
    if (cert is None) != (key is None):
        given, missing = ("--tls-cert", "--tls-key") if cert is not None else ("--tls-key", "--tls-cert")
        raise InvalidInput(f"{given} needs {missing} too", field=missing.removeprefix("--").replace("-", "_"))
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        if path is not None and not path.is_file():
            raise InvalidInput(f"{flag}: no such file: {path}", field=flag.removeprefix("--").replace("-", "_"))
    if cert is not None and key is not None:
        import ssl

        try:  # as uvicorn will load them: a wrong file is a one-line error now, not a traceback later
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)
        except (ssl.SSLError, OSError) as exc:
            detail = f"--tls-cert and --tls-key are not a PEM certificate and its key ({exc})"
            raise InvalidInput(detail, field="tls_cert") from None


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


class _Stopped:
    """Notes the signal that stopped the server, so a graceful stop ends the command with exit code 0."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signum


def _run(
    host: str, port: int, workers: int, options: Any, scheme: str, tls_cert: Path | None, tls_key: Path | None
) -> None:
    import uvicorn

    from paa.api.main import OPTIONS_VARIABLE, options_to_environ
    from paa.cli import runtime as command_runtime
    from paa.clock import SystemClock
    from paa.core import serving
    from paa.core.runtime import Runtime

    settings: dict[str, Any] = {
        "host": host, "port": port, "ssl_certfile": str(tls_cert) if tls_cert else None,
        "ssl_keyfile": str(tls_key) if tls_key else None, "timeout_graceful_shutdown": GRACEFUL_SECONDS,
        "ws_max_size": WS_MAX_BYTES, "proxy_headers": False, "server_header": False, "log_level": "warning",
        "access_log": False,
    }  # fmt: skip
    _probe(host, port)
    environ = read_secret_files(command_runtime.environ())
    if environ.get("PAA_REDIS_URL"):
        _check_redis(environ["PAA_REDIS_URL"])
    stopped = _Stopped()
    # uvicorn handles SIGINT and SIGTERM while it runs (stop accepting, finish what is in flight, close sockets) and
    # raises the signal again when done: these handlers catch that, so a graceful stop is a clean exit.
    previous = {sig: signal.signal(sig, stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    from paa.api import access_log

    access_log.to_stderr()  # paa's own access log (uvicorn's is off: it would print query strings)
    runtime: Runtime | None = None
    try:
        if workers == 1:
            from paa.api.app import create_app

            runtime = Runtime.from_environ(environ, serves_callers=True)
            _ = runtime.engine  # open and migrate the database now, so a broken one fails before "serving at"
            from paa.ai import recall

            # As each of several workers does (paa.api.main): chat turns search by meaning once the model is in.
            recall.warm_up_in_background(runtime, for_user=False)
            server = uvicorn.Server(uvicorn.Config(create_app(runtime, options), **settings))
            config = server.config
            config.load()
            sockets = [config.bind_socket()]
            bound_port = sockets[0].getsockname()[1]
            url = _announce(scheme, host, bound_port, runtime.paths, serving, SystemClock())
            try:
                server.run(sockets=sockets)
            finally:
                serving.remove_marker(runtime.paths)
        else:
            # uvicorn's workers build their runtime from os.environ: the env file's values go there too, but secrets
            # read from `*_FILE` files do not; each worker reads the files itself (their values in its environment
            # would show in `ps e`, and beside PAA_DB_URL_FILE they are refused as "both set").
            os.environ.update(command_runtime.started_environ())
            os.environ[OPTIONS_VARIABLE] = options_to_environ(options)
            paths = Runtime.from_environ(environ).paths
            url = _announce(scheme, host, port, paths, serving, SystemClock())
            try:
                uvicorn.run("paa.api.main:app_factory", factory=True, workers=workers, **settings)
            finally:
                serving.remove_marker(paths)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if runtime is not None:
            from paa.api.events_ws import finish_chat_turns
            from paa.api.main import CHAT_GRACE_SECONDS

            finish_chat_turns(CHAT_GRACE_SECONDS)  # a reply cut by the stop is stored before the database closes
            runtime.close()
    typer.echo(f"paa: stopped serving {url}", err=True)


def _probe(host: str, port: int) -> None:
    """Fail with one line when the address cannot be listened on (uvicorn would log and exit on its own)."""
    try:
        found = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, address = found[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InvalidInput(f"cannot listen on {_url('http', host, port).removeprefix('http://')}: {reason}",
                           hint="choose another --port (or --host), or stop what listens there",
                           field="port") from None  # fmt: skip


def _announce(scheme: str, host: str, port: int, paths: Any, serving: Any, clock: Any) -> str:
    """Say where the server listens (the one line a script waits for) and leave the marker the daemon reads."""
    url = _url(scheme, host, port)
    try:
        serving.write_marker(paths, url, clock.now())
    except OSError as exc:
        typer.echo(f"paa: warning: cannot write {serving.marker_file(paths)}: {exc}", err=True)
    sys.stdout.write(f"Serving paa at {url}/api/v1 (docs at {url}/api/v1/docs); Ctrl-C stops it.\n")
    sys.stdout.flush()
    return url
