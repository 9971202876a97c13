"""A day's check-in as a text file for the user's editor (`paa checkin --edit`), and that file read back.

The file starts with `#` comment lines and the `mood:` and `energy:` lines; each prompt follows as a `## ` heading
with its answer below it. Comments are only read before the first heading, so an answer may start with `#`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from paa.core.checkins.entries import INPUT_MAX_BYTES, Answer, Checkin, clean_answer, parse_scale
from paa.errors import InvalidInput

HEADING = "## "


@dataclass(frozen=True)
class EditedCheckin:
    """What the user left in the file: None where a rating was left blank; only the answered prompts."""

    mood: int | None
    energy: int | None
    answers: tuple[Answer, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing was written: no rating and no answer."""
        return self.mood is None and self.energy is None and not self.answers


def render_edit_file(day: date, prompts: Sequence[str], checkin: Checkin | None) -> str:
    """The text the editor opens: the ratings, then each prompt as a heading with its current answer."""
    current = {answer.prompt.casefold(): answer.answer for answer in checkin.answers} if checkin else {}
    lines = [
        f"# paa check-in for {day.isoformat()}.",
        "# Write each answer under its prompt, and a mood and energy from 1 (low) to 5 (great).",
        "# Lines starting with # are ignored up to the first prompt. Save and quit to keep your changes;",
        "# quit without changing anything, or empty the file, to save nothing.",
        "",
        f"mood: {checkin.mood if checkin and checkin.mood is not None else ''}".rstrip(),
        f"energy: {checkin.energy if checkin and checkin.energy is not None else ''}".rstrip(),
    ]
    for prompt in prompts:
        lines += ["", f"{HEADING}{prompt}", current.get(prompt.casefold(), "")]
    return "\n".join(lines) + "\n"


def parse_edit_file(text: str) -> EditedCheckin:
    """Read an edited check-in file: its ratings and each heading's answer (a blank answer leaves that prompt out)."""
    if len(text.encode("utf-8")) > INPUT_MAX_BYTES:
        raise InvalidInput(f"the edited check-in is too large (more than {INPUT_MAX_BYTES // 1024} KiB)")
    ratings: dict[str, int | None] = {"mood": None, "energy": None}
    sections: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if line.startswith(HEADING) or line.rstrip() == HEADING.rstrip():
            prompt = line[len(HEADING) :].strip()
            if not prompt:
                raise InvalidInput(f"line {number}: a `##` heading needs the prompt's text")
            sections.append((prompt, []))
        elif sections:
            sections[-1][1].append(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            name, colon, value = line.partition(":")
            field = name.strip().casefold()
            if not colon or field not in ratings:
                raise InvalidInput(
                    f"line {number}: expected `mood: N`, `energy: N` or a `## prompt` heading (got {line[:40]!r})"
                )
            ratings[field] = parse_scale(value, field)
    answers: list[Answer] = []
    seen: set[str] = set()
    for prompt, body in sections:
        if prompt.casefold() in seen:
            raise InvalidInput(f"the prompt {prompt!r} appears twice", hint="keep one heading per prompt")
        seen.add(prompt.casefold())
        written = "\n".join(body).strip()
        if written:
            answers.append(Answer(prompt, clean_answer(written, prompt)))
    return EditedCheckin(ratings["mood"], ratings["energy"], tuple(answers))
