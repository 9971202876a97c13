"""The docs stay true to the code: generated parts are current, and every command, JSON output,
setting and exit code is documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paa.config import ENV_ALIASES, KEYS, env_name
from paa.errors import ExitCode, PaaError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GENERATED = ("docs/cli.md", "docs/configuration.md", "docs/json.md")
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


@pytest.mark.parametrize("doc", GENERATED)
def test_generated_doc_is_current(doc: str) -> None:
    result = _cog_check([doc], ROOT)
    assert result.returncode == 0, (
        f"{doc} is out of date with the code; regenerate it with `{REGENERATE}` and commit the result.\n"
        + result.stdout[-4000:]
        + result.stderr[-4000:]
    )


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
LINK = re.compile(r"\[(\w+)\]\(#[\w-]+\)")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _is_utc_instant(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).utcoffset() == timedelta(0)
    except ValueError:
        return False


BASE_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
    "datetime": _is_utc_instant,
    "time": lambda v: isinstance(v, str) and re.fullmatch(r"\d{2}:\d{2}", v) is not None,
    "weekday": lambda v: v in WEEKDAYS,
}


@dataclass
class Section:
    """One `###` section of json.md: a command's output or a named object."""

    title: str
    output: str | None = None
    schema_doc: str | None = None  # another page of docs/ that holds this output's field tables
    fields: dict[str, str] = field(default_factory=dict)
    bases: list[str] = field(default_factory=list)
    examples: list[Any] = field(default_factory=list)


def _json_doc(name: str = "json.md") -> dict[str, Section]:
    text = (DOCS / name).read_text(encoding="utf-8")
    parts = re.split(r"^(#{2,3}) (.*)$", text, flags=re.M)
    sections: dict[str, Section] = {}
    for hashes, title, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        if hashes != "###":
            continue
        section = Section(title.strip())
        output = re.search(r"^Output: (.+)$", body, re.M)
        section.output = output[1].strip() if output else None
        elsewhere = re.search(r"^Schema: \[[^\]]*\]\(([\w.-]+\.md)#[\w-]+\)$", body, re.M)
        section.schema_doc = elsewhere[1] if elsewhere else None
        for line in body.splitlines():
            if not line.startswith("|"):
                continue
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            named = re.fullmatch(r"`([^`]+)`", cells[0])
            if named and len(cells) >= 2:
                section.fields[named[1]] = cells[1]
            elif "every field of" in cells[0] and (base := LINK.search(cells[0])):
                section.bases.append(base[1])
        section.examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", body, re.S)]
        sections[section.title] = section
    return sections


class SchemaChecker:
    """Checks a JSON value against the tables of json.md, both ways: no undocumented and no missing field."""

    def __init__(self, doc: dict[str, Section]) -> None:
        self.doc = doc

    def value(self, value: Any, type_text: str, scope: Section, path: str) -> None:
        where = f"{scope.title}: `{path or '(root)'}`"
        text = type_text.strip()
        if text == "any":
            return
        if text.endswith(" or null"):
            if value is None:
                return
            text = text.removesuffix(" or null")
        assert value is not None, f"{where} is null, but json.md says {type_text!r}"
        if text.startswith("array of "):
            assert isinstance(value, list), f"{where} should be an array"
            item = self._singular(text.removeprefix("array of "))
            for entry in value:
                self.value(entry, item, scope, f"{path}[]")
            return
        link = LINK.fullmatch(text)
        if link:
            assert link[1] in self.doc, f"{where} refers to {link[1]}, which json.md does not describe"
            self.object(value, self.doc[link[1]], "")
        elif text == "object":
            self.object(value, scope, path)
        else:
            assert text in BASE_TYPES, f"{where} has the unknown type {type_text!r}"
            assert BASE_TYPES[text](value), f"{where} is {value!r}, not a {text}"

    def object(self, value: Any, scope: Section, prefix: str) -> None:
        where = f"{scope.title}: `{prefix or '(root)'}`"
        assert isinstance(value, dict), f"{where} should be an object, got {value!r}"
        expected = self._direct_fields(scope, prefix)
        undocumented = sorted(set(value) - set(expected))
        missing = sorted(set(expected) - set(value))
        assert not undocumented, f"{where}: fields {undocumented} are not in json.md; add them to its table"
        assert not missing, f"{where}: fields {missing} are documented in json.md but not in the output"
        for key, item in value.items():
            owner, path, type_text = expected[key]
            self.value(item, type_text, owner, path)

    def _direct_fields(self, scope: Section, prefix: str) -> dict[str, tuple[Section, str, str]]:
        lead = f"{prefix}." if prefix else ""
        found: dict[str, tuple[Section, str, str]] = {}
        if not prefix:
            for base in scope.bases:
                found.update(self._direct_fields(self.doc[base], ""))
        for path, type_text in scope.fields.items():
            rest = path[len(lead) :]
            if path.startswith(lead) and rest and "." not in rest:
                found[rest] = (scope, path, type_text)
        return found

    @staticmethod
    def _singular(item: str) -> str:
        item = item.removesuffix(" objects")
        if item.endswith("s") and item[:-1] in BASE_TYPES:
            return item[:-1]
        return item


def test_required_read_commands_have_json() -> None:
    lacking = [" ".join(path) for path in REQUIRED_JSON if path not in JSON_COMMANDS]
    assert not lacking, f"these read commands lost their --json option: {lacking}"


@pytest.mark.parametrize("path", JSON_COMMANDS, ids=[" ".join(path) for path in JSON_COMMANDS])
def test_json_command_is_documented_with_an_example(path: tuple[str, ...]) -> None:
    title = f"`paa {' '.join(path)} --json`"
    doc = _json_doc()
    assert title in doc, f"docs/json.md has no section `### {title}`: document its output schema there"
    section = doc[title]
    assert section.examples, f"docs/json.md, {title}: add an example (a cog block calling gen_docs.json_example)"
    examples, schema = section.examples, section
    if section.schema_doc:  # the field tables live on another page, in the same format
        other = _json_doc(section.schema_doc)
        assert title in other, f"docs/json.md sends {title} to docs/{section.schema_doc}, which has no such section"
        doc = {**doc, **other}
        schema = other[title]
        examples = [*examples, *schema.examples]
    assert schema.output, f"{title}: say what it prints on an `Output: ...` line, above its field table"
    checker = SchemaChecker(doc)
    for example in examples:
        checker.value(example, schema.output, schema, "")


def test_json_doc_names_only_real_commands() -> None:
    documented = [title for title in _json_doc() if title.startswith("`paa ")]
    real = {f"`paa {' '.join(path)} --json`" for path in JSON_COMMANDS}
    assert documented and set(documented) <= real, (
        f"json.md documents commands without --json: {set(documented) - real}"
    )


def test_schema_checker_rejects_an_undocumented_field() -> None:
    doc = _json_doc()
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
    doc = _json_doc()
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
