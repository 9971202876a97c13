"""The JSON schemas in docs/ (json.md, analytics.md): their `###` sections read as tables, and a checker that holds
a command's JSON output to them both ways (no undocumented field, no missing one)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"
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


def json_doc(name: str = "json.md") -> dict[str, Section]:
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
