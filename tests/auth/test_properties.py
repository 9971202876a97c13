"""Property tests: whatever people type as a user name, email, password or habit field, paa answers with a clear
error or stores something that keeps the rules, and never fails with a traceback."""

from __future__ import annotations

import ast
import inspect
import math
import os
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from paa.clock import FixedClock
from paa.core.accounts import rules
from paa.core.validate import NAMED_COLOURS
from paa.errors import InvalidInput, PaaError
from tests.support.clock import FIXED_NOW

# Text as people and programs produce it: any code point, with the troublesome ones more often than chance.
awkward = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(["\x00", "\n", "\t", "\u200b", "\u202e", "\ufeff", "\ud800", "\u0301", "@", ".", " "]),
    ),
    max_size=300,
)
# Text a person would type: letters, marks, digits, punctuation, symbols and spaces (these usually pass).
plain = st.text(alphabet=st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=60)
typed = st.one_of(plain, plain, awkward)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")


def _no_controls(text: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


@SETTINGS
@given(st.one_of(awkward, st.from_regex(USERNAME, fullmatch=True)))
def test_usernames(value: str) -> None:
    try:
        name = rules.username(value)
    except InvalidInput as exc:
        assert exc.message and "\n" not in exc.message
        return
    assert USERNAME.match(name) and rules.username(name) == name


@SETTINGS
@given(st.one_of(awkward, st.emails()))
def test_emails(value: str) -> None:
    try:
        address = rules.email(value)
    except InvalidInput as exc:
        assert exc.message and "\n" not in exc.message
        return
    if address is None:
        assert not value.strip()
        return
    local, _, domain = address.partition("@")
    assert address.count("@") == 1 and 1 <= len(local) <= 64 and len(address) <= 254
    assert domain.isascii() and domain == domain.lower() and "." in domain
    assert _no_controls(address) and " " not in address
    assert rules.email(address) == address


@SETTINGS
@given(st.emails())
def test_real_looking_emails_are_accepted(value: str) -> None:
    assert rules.email(value) is not None


def _rules_wording() -> list[str]:
    """Every piece of text written in paa.core.accounts.rules: what its messages are made of, besides numbers."""
    tree = ast.parse(inspect.getsource(rules))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


RULES_WORDING = _rules_wording()


def _repeats(text: str, secret: str) -> bool:
    """Whether `text` shows `secret` somewhere that is not paa's own wording or a number (a length, a limit).

    A refusal is made of fixed words and numbers; a password that happens to be one of those words ("remember", in
    "easy to remember") appears in it by chance, not because it was repeated.
    """
    fixed: set[int] = set()
    for piece in [*RULES_WORDING, *re.findall(r"\d+", text)]:
        for found in re.finditer(re.escape(piece), text):
            fixed.update(range(found.start(), found.end()))
    return any(not fixed.issuperset(range(at.start(), at.end())) for at in re.finditer(re.escape(secret), text))


@pytest.mark.parametrize("password", ["remember", "unrelated", "password"])
def test_a_password_that_is_a_word_of_the_refusal_is_not_a_repeat(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.check_new_password(password, user_name="ann")
    message, hint = refused.value.message, refused.value.hint or ""
    assert password in message + hint  # by chance: it is one of the refusal's own words
    assert not _repeats(message, password) and not _repeats(hint, password)
    assert _repeats(f"{message}: {password!r}", password)  # quoted back, it would be


@SETTINGS
@given(typed)
def test_passwords(value: str) -> None:
    try:
        stored = rules.check_new_password(value, user_name="ann")
    except InvalidInput as exc:
        for secret in {value, unicodedata.normalize("NFC", value)} - {""}:  # a refused password is never repeated
            assert not _repeats(exc.message, secret) and not _repeats(exc.hint or "", secret), exc
        return
    assert stored == unicodedata.normalize("NFC", value)
    assert rules.PASSWORD_MIN <= len(stored) <= rules.PASSWORD_MAX and _no_controls(stored)
    assert rules.estimated_bits(stored) >= rules.PASSWORD_MIN_BITS and "ann" not in stored.lower()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


@SETTINGS
@given(
    username=st.one_of(awkward, st.from_regex(USERNAME, fullmatch=True)),
    email=st.one_of(st.none(), awkward, st.emails()),
    password=st.one_of(typed, st.just("zebra-lamp-river-9")),
)
def test_register_stores_only_what_keeps_the_rules(
    paa_home: Path, clock: FixedClock, username: str, email: str | None, password: str
) -> None:
    from paa.core.accounts.passwords import params_from, verify_password
    from paa.core.accounts.registration import register
    from paa.db.models import User, UserAuth
    from tests.support.runtime import open_auth

    try:
        with open_auth(write=True, clock=clock) as actx:
            done = register(actx, username, password, email=email)
            user_id = done.user.id
    except PaaError:
        return  # InvalidInput for a bad value, Conflict for a name or email drawn twice
    with open_auth(clock=clock) as actx:
        user = actx.session.get(User, user_id)
        assert user is not None and USERNAME.match(user.username)
        assert user.email is None or (user.email == rules.email(user.email) and len(user.email) <= 254)
        [credential] = actx.session.exec(
            select(UserAuth).where(UserAuth.user_id == user_id, UserAuth.kind == "password")
        ).all()
        assert credential.secret_hash is not None and credential.secret_hash.startswith("$argon2id$")
        assert verify_password(credential.secret_hash, unicodedata.normalize("NFC", password), params_from(os.environ))


finite = st.floats(allow_nan=True, allow_infinity=True)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly left out, so that a bad value in one field does not hide what the others do."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


@SETTINGS
@given(name=typed, description=_maybe(typed), category=_maybe(typed), unit=_maybe(typed),
       target=_maybe(st.one_of(st.floats(0, 100), finite)),
       color=_maybe(st.one_of(awkward, st.sampled_from(sorted(NAMED_COLOURS)), st.from_regex(r"#[0-9a-fA-F]{6}"))),
       note=_maybe(typed), value=st.one_of(st.floats(0, 1000), finite))  # fmt: skip
def test_habit_fields(make_ctx, name, description, category, unit, target, color, note, value) -> None:
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import HabitFields, add_habit
    from paa.db.models import Habit, HabitLog

    fields = HabitFields(name=name, description=description, category=category, unit=unit, target=target, color=color)
    try:
        with make_ctx(write=True) as ctx:
            habit = add_habit(ctx, fields)
            log_habit(ctx, habit, ctx.today(), value=value if habit.kind == "measurable" else None, note=note)
            habit_id = habit.id
    except PaaError:
        return
    with make_ctx() as ctx:
        stored = ctx.session.get(Habit, habit_id)
        assert stored is not None
        for text, limit in ((stored.name, 100), (stored.description, 2000), (stored.category, 50), (stored.unit, 30)):
            if text is not None:
                assert 0 < len(text) <= limit and text == unicodedata.normalize("NFC", text).strip()
                assert "\x00" not in text and all(unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\n\t"
                                                  for ch in text)  # fmt: skip
        assert not stored.name.isdigit() and stored.name_key == stored.name.casefold()
        assert stored.color is None or stored.color in NAMED_COLOURS or re.fullmatch(r"#[0-9a-f]{6}", stored.color)
        assert stored.target is None or (math.isfinite(stored.target) and stored.target >= 0)
        log = ctx.session.exec(select(HabitLog).where(HabitLog.habit_id == habit_id)).one()
        assert log.value is None or (math.isfinite(log.value) and 0 <= log.value <= 1e9)
        assert log.note is None or (0 < len(log.note) <= 2000 and "\x00" not in log.note)
