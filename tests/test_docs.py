"""The docs stay true to the code: generated parts are current, and every command, JSON output,
setting and exit code is documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from paa.config import ENV_ALIASES, KEYS, env_name
from paa.errors import ExitCode, PaaError
from tests.support.doc_schemas import SchemaChecker, json_doc

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GENERATED = ("docs/cli.md", "docs/configuration.md", "docs/json.md", "docs/api.md")
REGENERATE = "python scripts/gen_docs.py"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Read commands whose --json output is part of paa's contract from the start.
REQUIRED_JSON = (
    ("habit", "list"),
    ("habit", "today"),
    ("habit", "show"),
    ("habit", "history"),
    ("config", "show"),
    ("config", "get"),
    ("doctor",),
)


def _cog_check(files: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cogapp", "--check", "--diff", f"--check-fail-msg=regenerate with: {REGENERATE}"]
    return subprocess.run([*command, *files], cwd=cwd, capture_output=True, text=True, timeout=300)


# --- (a) generated docs are current -------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("doc", GENERATED)
def test_generated_doc_is_current(doc: str) -> None:
    result = _cog_check([doc], ROOT)
    assert result.returncode == 0, (
        f"{doc} is out of date with the code; regenerate it with `{REGENERATE}` and commit the result.\n"
        + result.stdout[-4000:]
        + result.stderr[-4000:]
    )


@pytest.mark.e2e
def test_check_notices_a_hand_edited_reference(tmp_path: Path) -> None:
    """The staleness check really fails: a copy of cli.md with one help line changed is caught."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "docs").mkdir()
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert " Usage: paa habit add " in text
    (tmp_path / "docs" / "cli.md").write_text(text.replace(" Usage: paa habit add ", " Usage: paa habit plus "))
    result = _cog_check(["docs/cli.md"], tmp_path)
    assert result.returncode != 0
    assert REGENERATE in result.stdout + result.stderr


# --- (b) every command has help -----------------------------------------------------------------


def _command_tree() -> list[tuple[tuple[str, ...], Any]]:
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
                walk(command.get_command(ctx, name), (*path, name))

    walk(typer.main.get_command(create_app()), ())
    return found


COMMANDS = _command_tree()
COMMAND_IDS = [" ".join(("paa", *path)) for path, _ in COMMANDS]


def test_the_walk_finds_nested_commands() -> None:
    paths = {path for path, _ in COMMANDS}
    assert {(), ("habit",), ("habit", "add"), ("config", "get"), ("doctor",)} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=COMMAND_IDS)
def test_command_has_a_help_line(path: tuple[str, ...], command: Any) -> None:
    lines = (command.help or "").strip().splitlines()
    assert lines and lines[0].strip(), f"`paa {' '.join(path)}` has no help: give it a one-line docstring"


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=COMMAND_IDS)
def test_help_exits_zero(cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0, result.err
    assert f"Usage: {' '.join(('paa', *path))} " in ANSI.sub("", result.out)
    assert result.err == ""


def test_reference_has_a_section_per_command() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in COMMAND_IDS if not re.search(rf"^#+ `{re.escape(name)}`$", text, re.M)]
    assert not missing, f"docs/cli.md lacks {missing}; regenerate it with `{REGENERATE}`"


# --- (c) every --json output is documented, and its examples match the tables -------------------


def _has_json(command: Any) -> bool:
    return any("--json" in getattr(param, "opts", ()) for param in command.params)


JSON_COMMANDS = [path for path, command in COMMANDS if _has_json(command)]


def test_required_read_commands_have_json() -> None:
    lacking = [" ".join(path) for path in REQUIRED_JSON if path not in JSON_COMMANDS]
    assert not lacking, f"these read commands lost their --json option: {lacking}"


@pytest.mark.parametrize("path", JSON_COMMANDS, ids=[" ".join(path) for path in JSON_COMMANDS])
def test_json_command_is_documented_with_an_example(path: tuple[str, ...]) -> None:
    title = f"`paa {' '.join(path)} --json`"
    doc = json_doc()
    assert title in doc, f"docs/json.md has no section `### {title}`: document its output schema there"
    section = doc[title]
    assert section.examples, f"docs/json.md, {title}: add an example (a cog block calling gen_docs.json_example)"
    examples, schema = section.examples, section
    if section.schema_doc:  # the field tables live on another page, in the same format
        other = json_doc(section.schema_doc)
        assert title in other, f"docs/json.md sends {title} to docs/{section.schema_doc}, which has no such section"
        doc = {**doc, **other}
        schema = other[title]
        examples = [*examples, *schema.examples]
    assert schema.output, f"{title}: say what it prints on an `Output: ...` line, above its field table"
    checker = SchemaChecker(doc)
    for example in examples:
        checker.value(example, schema.output, schema, "")


def test_json_doc_names_only_real_commands() -> None:
    documented = [title for title in json_doc() if title.startswith("`paa ")]
    real = {f"`paa {' '.join(path)} --json`" for path in JSON_COMMANDS}
    assert documented and set(documented) <= real, (
        f"json.md documents commands without --json: {set(documented) - real}"
    )


def test_schema_checker_rejects_an_undocumented_field() -> None:
    doc = json_doc()
    log = {"day": "2026-11-26", "status": "done", "value": None, "note": None}
    SchemaChecker(doc).value(log, "[Log](#log)", doc["Log"], "")
    with pytest.raises(AssertionError, match=r"not in json\.md"):
        SchemaChecker(doc).value({**log, "mood": 3}, "[Log](#log)", doc["Log"], "")
    with pytest.raises(AssertionError, match="not a date"):
        SchemaChecker(doc).value({**log, "day": "26/11/2026"}, "[Log](#log)", doc["Log"], "")


@pytest.mark.parametrize("args", [("doctor", "--json"), ("config", "show", "--json")])
def test_live_json_matches_the_doc(cli, args: tuple[str, ...]) -> None:
    """Outputs whose details depend on the machine are checked live, not only through examples."""
    result = cli(*args)
    assert result.code == 0, result.err
    doc = json_doc()
    section = doc[f"`paa {' '.join(args[:-1])} --json`"]
    assert section.output
    SchemaChecker(doc).value(json.loads(result.out), section.output, section, "")


# --- (d) settings and exit codes ----------------------------------------------------------------


@pytest.mark.parametrize(("key", "field_name"), list(KEYS.items()))
def test_setting_is_documented(key: str, field_name: str) -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{re.escape(key)}` \|.*$", text, re.M)
    assert row, f"docs/configuration.md has no row for `{key}`; regenerate it with `{REGENERATE}`"
    assert f"`{env_name(field_name)}`" in row[0]
    if field_name in ENV_ALIASES:
        assert f"`{ENV_ALIASES[field_name]}`" in row[0]


@pytest.mark.parametrize("code", list(ExitCode), ids=[code.name for code in ExitCode])
def test_exit_code_is_documented(code: ExitCode) -> None:
    text = (DOCS / "exit-codes.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| {code.value} \| `{code.name}` \| (.+) \|$", text, re.M)
    assert row and row[1].strip(), f"docs/exit-codes.md needs a row `| {code.value} | `{code.name}` | meaning | ...`"


def test_exit_code_doc_names_only_real_codes() -> None:
    text = (DOCS / "exit-codes.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \|", text, re.M)
    assert rows and all(ExitCode[name].value == int(value) for value, name in rows)


def _error_kinds() -> list[type[PaaError]]:
    import paa.errors

    return [obj for obj in vars(paa.errors).values() if isinstance(obj, type) and issubclass(obj, PaaError)]


@pytest.mark.parametrize("kind", _error_kinds(), ids=lambda kind: kind.__name__)
def test_error_kind_is_documented(kind: type[PaaError]) -> None:
    text = (DOCS / "exit-codes.md").read_text(encoding="utf-8")
    code = kind.exit_code
    row = rf"^\| `{kind.__name__}`[^|]*\| {code.value} `{code.name}` \|$"
    assert re.search(row, text, re.M), f"docs/exit-codes.md should map `{kind.__name__}` to {code.value} `{code.name}`"
