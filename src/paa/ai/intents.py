"""Rule-based reading of common requests: log or skip habits, progress questions, check-ins, habit lists, memory.

The offline provider turns these into the same tool calls a model would make; conversation insights use the
intent names. It is deliberately modest: what it does not recognise, it says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_IRREGULAR = {
    "ran": "run", "drank": "drink", "drunk": "drink", "swam": "swim", "rode": "ride", "wrote": "write",
    "ate": "eat", "eaten": "eat", "slept": "sleep", "did": "do", "done": "do", "went": "go", "gone": "go",
    "took": "take", "taken": "take", "read": "read", "meditation": "meditat", "meditations": "meditat",
    "jogged": "jog", "biked": "bike", "cycled": "cycl", "lifted": "lift", "flossed": "floss", "journaled": "journal",
    "journalled": "journal", "walked": "walk", "studied": "study", "practised": "practis", "practiced": "practic",
}  # fmt: skip
_GENERIC = {"drink", "do", "go", "take", "make", "get", "have", "eat", "hour", "minut", "time", "day", "daily"}
_STOP = {"i", "a", "an", "the", "my", "of", "to", "for", "and", "in", "on", "at", "with", "some", "me", "it",
         "this", "that", "today", "yesterday", "just", "also", "then", "was", "were", "is", "be", "been", "had",
         "has"}  # fmt: skip
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "a couple of": 2, "half": 0.5}  # fmt: skip
_QUESTION_START = ("how", "what", "when", "why", "which", "who", "did", "do", "does", "am", "is", "are", "should",
                   "can", "could", "will", "would", "have", "has")  # fmt: skip
_WORD = re.compile(r"[a-zA-Z']+")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)(?![\w.])")
_SPLIT = re.compile(r"\s*(?:,|;|\band then\b|\bthen\b|\band\b|\balso\b|\bplus\b)\s*", re.I)


def stem(word: str) -> str:
    """A crude English stem, the same for a habit's name and the words people use about it."""
    w = word.lower().strip("'")
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh")) and len(w) >= 5:
        w = w[:-2]
    else:
        for suffix in ("ing", "ed", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not (suffix == "s" and w.endswith("ss")):
                w = w[: -len(suffix)]
                break
    if w.endswith("e") and len(w) >= 4:
        w = w[:-1]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


def _stems(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP]


@dataclass(frozen=True)
class Intent:
    """A recognised request: a tool to call with its arguments, or (tool None) a reply to give as it is."""

    name: str
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    reply: str | None = None


def match_habit(text: str, habits: Sequence[str]) -> str | None:
    """The habit a phrase is about: the best word overlap, generic verbs counting less; None when unclear."""
    words = set(_stems(text))
    scores: list[tuple[int, str]] = []
    for name in habits:
        score = sum(1 if s in _GENERIC else 2 for s in set(_stems(name)) if s in words)
        if score:
            scores.append((score, name))
    if not scores:
        return None
    scores.sort(reverse=True)
    if len(scores) > 1 and scores[0][0] == scores[1][0]:
        return None
    return scores[0][1]


def _number(text: str) -> float | None:
    match = _NUMBER.search(text)
    if match:
        return float(match.group(1).replace(",", "."))
    lowered = f" {text.lower()} "
    for word, value in _NUMBER_WORDS.items():
        if f" {word} " in lowered:
            return float(value)
    return None


def _period(text: str) -> str:
    lowered = text.lower()
    if "year" in lowered:
        return "1y"
    if "month" in lowered or "30" in lowered:
        return "30d"
    if "today" in lowered:
        return "1d"
    return "7d"


def _is_question(text: str) -> bool:
    words = text.strip().lower().split()
    return text.strip().endswith("?") or bool(words and words[0].strip("',") in _QUESTION_START)


def _day_of(text: str) -> str | None:
    lowered = text.lower()
    if "yesterday" in lowered:
        return "yesterday"
    return None


_REMIND = re.compile(
    r"remind me (?:to |about )?(?P<what>.+?)\s+(?:(?P<at>at|@)\s*(?P<time>\d{1,2}(?::\d{2})?\s*(?:am|pm)?)"
    r"(?:\s+(?:on|every)\s+(?P<days>[a-z, ]+))?|(?P<when>(?:tomorrow|today|in \d+ \w+)(?: at \d{1,2}(?::\d{2})?)?))"
    r"\s*[.!]?$",
    re.I,
)
_REMEMBER = re.compile(r"^(?:please\s+)?remember(?:\s+that|:)?\s+(?P<what>.+)$", re.I)
_DELETE = re.compile(r"^(?:please\s+)?(?:delete|remove)\s+(?:my\s+|the\s+)?(?P<what>.+?)(?:\s+habit)?\s*[.!?]?$", re.I)
_ARCHIVE = re.compile(r"^(?:please\s+)?archive\s+(?:my\s+|the\s+)?(?P<what>.+?)(?:\s+habit)?\s*[.!?]?$", re.I)
_CREATE = re.compile(r"\b(?:add|create|start|new)\s+(?:a\s+)?(?:new\s+)?habit(?:\s+(?:called|named))?\s*:?\s*"
                     r"(?P<what>.+?)\s*[.!]?$", re.I)  # fmt: skip
_FORGET = re.compile(r"\bforget\s+(?:memory\s+)?#?(?P<id>\d+)\b", re.I)
_CALL_ME = re.compile(r"\bcall me\s+(?P<name>[\w' -]{1,60}?)\s*[.!]?$", re.I)
_MOOD = re.compile(r"\bmood\s*(?:is|of|:|=)?\s*(?P<mood>[1-5])\b|\b(?P<alt>[1-5])\s*/\s*5\b", re.I)
_SKIP = re.compile(r"\b(skip|skipped|skipping|rest day|not today|won't|will not|can't|cannot)\b", re.I)
_UNDO = re.compile(r"\b(undo|unlog|didn't|did not|never)\b", re.I)
# Whole messages that are small talk, not requests: the offline provider answers them in kind.
_SMALL_TALK = {
    "greeting": ("hi", "hello", "hey", "hiya", "hi there", "hello there", "hey there", "good morning",
                 "good afternoon", "good evening", "morning", "yo"),
    "thanks": ("thanks", "thank you", "thanks a lot", "thank you very much", "thx", "ty", "cheers", "great, thanks",
               "ok thanks", "ok, thanks"),
    "farewell": ("bye", "goodbye", "bye bye", "see you", "good night", "exit", "quit"),
}  # fmt: skip


def parse(text: str, habits: Sequence[str]) -> list[Intent]:
    """The requests in one message, in order; empty when nothing is recognised."""
    message = " ".join(text.split())
    if not message:
        return []
    lowered = message.lower()
    bare = lowered.strip("?!.,:) ")
    if bare in ("help", "what can you do", "what can you do offline"):
        return [Intent("help")]
    for name, phrases in _SMALL_TALK.items():
        if bare in phrases:
            return [Intent(name)]
    special = _special(message, lowered, habits)
    if special is not None:
        return [special]
    if _is_question(message):
        return _question(message, lowered, habits)
    return _actions(message, habits)


def _special(message: str, lowered: str, habits: Sequence[str]) -> Intent | None:
    if match := _REMIND.search(message):
        what = match.group("what").strip()
        if match.group("when"):
            return Intent("add_reminder", "add_reminder", {"text": what, "at": match.group("when")})
        args: dict[str, Any] = {"text": what, "time": match.group("time").strip()}
        if match.group("days"):
            args["days"] = match.group("days").strip().replace(" and ", ",").replace(" ", "")
        return Intent("add_reminder", "add_reminder", args)
    if match := _REMEMBER.match(message):
        return Intent("remember", "remember", {"content": match.group("what").strip()})
    if match := _FORGET.search(message):
        return Intent("forget", "forget", {"memory_id": int(match.group("id"))})
    if match := _CALL_ME.search(message):
        return Intent("set_preference", "set_preference", {"key": "display_name", "value": match.group("name")})
    if match := _CREATE.search(message):
        return Intent("create_habit", "create_habit", {"name": match.group("what").strip().strip("'\"")})
    if "check in" in lowered or "check-in" in lowered or "checkin" in lowered:
        mood = _MOOD.search(message)
        if mood is None:
            return Intent("checkin", reply="To check in, type /checkin here (or run `paa checkin`).")
        value = int(mood.group("mood") or mood.group("alt"))
        return Intent("record_checkin", "record_checkin", {"mood": value, "answers": [message], "mode": "append"})
    if match := _DELETE.search(message):
        habit = match_habit(match.group("what"), habits) or match.group("what").strip()
        return Intent("delete_habit", "delete_habit", {"habit": habit})
    if match := _ARCHIVE.search(message):
        habit = match_habit(match.group("what"), habits) or match.group("what").strip()
        return Intent("archive_habit", "archive_habit", {"habit": habit})
    if "remind" in lowered and ("list" in lowered or "what" in lowered or "show" in lowered):
        return Intent("list_reminders", "list_reminders", {})
    if "habit" in lowered and any(w in lowered for w in ("list", "show", "what", "which", "my habits")):
        return Intent("list_habits", "list_habits", {})
    if any(p in lowered for p in ("what's left", "what is left", "what's due", "what is due", "left to do")):
        return Intent("list_habits", "list_habits", {})
    return None


def _question(message: str, lowered: str, habits: Sequence[str]) -> list[Intent]:
    habit = match_habit(message, habits)
    progress_words = ("doing", "going", "progress", "did", "week", "month", "year", "streak", "how")
    if any(word in lowered for word in progress_words):
        if habit is not None:
            return [Intent("habit_progress", "habit_analytics", {"habit": habit, "period": "30d"})]
        return [Intent("progress", "overall_analytics", {"period": _period(lowered)})]
    return []


def _actions(message: str, habits: Sequence[str]) -> list[Intent]:
    found: list[Intent] = []
    day = _day_of(message)
    seen: set[str] = set()
    for clause in _SPLIT.split(message):
        if not clause.strip():
            continue
        habit = match_habit(clause, habits)
        if habit is None or habit in seen:
            continue
        seen.add(habit)
        args: dict[str, Any] = {"habit": habit}
        if day:
            args["date"] = day
        if _UNDO.search(clause):
            found.append(Intent("unlog", "unlog_habit", args))
        elif _SKIP.search(clause):
            found.append(Intent("skip", "skip_habit", args))
        else:
            value = _number(clause)
            if value is not None:
                args["value"] = value
            found.append(Intent("log", "log_habit", args))
    return found
