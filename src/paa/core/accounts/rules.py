"""What an account's user-supplied fields may hold: user names, emails, display names and passwords.

Every interface goes through these checks, so a bad value gets the same message from the CLI, the TUI or the API.
A refused password is never repeated in a message.
"""

from __future__ import annotations

import math
import re
import unicodedata

from paa.core import validate
from paa.errors import InvalidInput

USERNAME_MIN, USERNAME_MAX = 3, 32
EMAIL_MAX, EMAIL_LOCAL_MAX = 254, 64
DISPLAY_NAME_MAX = 100
PASSWORD_MIN, PASSWORD_MAX = 10, 1024
PASSWORD_MIN_BITS = 40.0
RESERVED_USERNAMES = frozenset({"local"})  # the implicit profile of a single-person install

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]*$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# The most used passwords and the words they are built from; a password that is one of these once digits and
# symbols are taken off is refused whatever its length.
COMMON_WORDS = frozenset(
    """password passw0rd passwort motdepasse contrasena qwerty qwertyuiop azerty asdfgh asdfghjkl zxcvbn
    letmein welcome admin administrator login master secret dragon monkey football baseball iloveyou
    princess sunshine shadow superman batman trustno1 starwars whatever freedom charlie michael jennifer
    abc abcdef abcdefgh abcdefghij changeme default guest root user test testing hello paa""".split()
)
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "01234567890")


def username(value: str) -> str:
    """A user name as stored: NFC, lower case ASCII, 3-32 characters, starting with a letter."""
    if not isinstance(value, str):
        raise InvalidInput("a user name must be text")
    text = unicodedata.normalize("NFC", value).strip().lower()
    if not text:
        raise InvalidInput("the user name cannot be empty")
    if len(text) > USERNAME_MAX or len(text) < USERNAME_MIN:
        raise InvalidInput(
            f"a user name has {USERNAME_MIN} to {USERNAME_MAX} characters (got {len(text)})",
            hint="letters a-z, digits and . _ -, starting with a letter",
        )
    if not _USERNAME.match(text):
        raise InvalidInput(
            f"the user name {validate.quoted(text)} has a character that is not allowed",
            hint="use letters a-z, digits and . _ -, starting with a letter",
        )
    return text


def new_username(value: str) -> str:
    """A user name for a new account: valid, and not one paa keeps for itself."""
    text = username(value)
    if text in RESERVED_USERNAMES:
        raise InvalidInput(
            f"{text!r} is the name of paa's built-in profile", hint="give it a password with `paa auth passwd` instead"
        )
    return text


def email(value: str | None) -> str | None:
    """An email address as stored (lower case, the domain in ASCII), or None when none is given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("an email address must be text")
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX:
        raise InvalidInput(f"the email address is too long ({len(text)} characters; the limit is {EMAIL_MAX})")
    if text.count("@") != 1:
        raise InvalidInput(f"{validate.quoted(text)} is not an email address", hint="e.g. ann@example.org")
    local, domain = text.split("@")
    if not local or len(local) > EMAIL_LOCAL_MAX or not _EMAIL_LOCAL.match(local):
        raise InvalidInput(f"{validate.quoted(text)} is not an email address", hint="e.g. ann@example.org")
    ascii_domain = _ascii_domain(domain.rstrip(".").lower())
    if ascii_domain is None:
        raise InvalidInput(f"{validate.quoted(text)} does not end in a valid domain", hint="e.g. ann@example.org")
    stored = f"{local.lower()}@{ascii_domain}"
    if len(stored) > EMAIL_MAX:
        raise InvalidInput(f"the email address is too long once its domain is encoded (limit {EMAIL_MAX})")
    return stored


def _ascii_domain(domain: str) -> str | None:
    try:
        encoded = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = encoded.split(".")
    if len(labels) < 2 or len(encoded) > 253:
        return None
    if not all(_DOMAIN_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None
    return encoded


def display_name(value: str | None) -> str | None:
    return validate.optional_text(value, "display name", DISPLAY_NAME_MAX)


def password_text(value: str) -> str:
    """A password as hashed: NFC-normalised (so the same typed text always matches), otherwise as given."""
    if not isinstance(value, str):
        raise InvalidInput("a password must be text")
    text = unicodedata.normalize("NFC", value)
    if len(text) > PASSWORD_MAX:
        raise InvalidInput(f"a password has at most {PASSWORD_MAX} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise InvalidInput("a password cannot hold control characters", hint="a line break or tab ends the input")
    return text


def estimated_bits(text: str) -> float:
    """A rough guess of a password's strength in bits: its alphabet, discounting repeats and sequences."""
    pool = 0
    if any(ch.islower() and ch.isascii() for ch in text):
        pool += 26
    if any(ch.isupper() and ch.isascii() for ch in text):
        pool += 26
    if any(ch.isdigit() and ch.isascii() for ch in text):
        pool += 10
    if any(not ch.isalnum() and ch.isascii() for ch in text):
        pool += 33
    if any(not ch.isascii() for ch in text):
        pool += 100
    if pool == 0:
        return 0.0
    effective = 0.0
    previous = ""
    for ch in text:
        if ch == previous:
            effective += 0.25  # "aaaa" adds little
        elif previous and _is_step(previous, ch):
            effective += 0.4  # "abcd", "1234", "qwer" add little
        else:
            effective += 1.0
        previous = ch
    distinct = len(set(text))
    effective = min(effective, distinct * 2.5)  # a few characters used over and over
    return effective * math.log2(pool)


def _is_step(first: str, second: str) -> bool:
    pair = (first + second).lower()
    return any(pair in row or pair[::-1] in row for row in _SEQUENCES)


def _core_word(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalpha())


def check_new_password(password: str, *, user_name: str | None = None, email_address: str | None = None) -> str:
    """The password to store, or InvalidInput saying why it is too weak (never repeating it)."""
    text = password_text(password)
    if not text.strip():
        raise InvalidInput("the password cannot be empty or only spaces")
    if len(text) < PASSWORD_MIN:
        raise InvalidInput(
            f"the password is too short ({len(text)} characters; at least {PASSWORD_MIN})",
            hint="a few unrelated words make a long password that is easy to remember",
        )
    lowered = text.lower()
    core = _core_word(text)
    if core in COMMON_WORDS or lowered in COMMON_WORDS:
        raise InvalidInput("that password is one of the most common ones", hint="choose something less guessable")
    personal = [part for part in (user_name, (email_address or "").split("@")[0]) if part and len(part) >= 3]
    if any(part.lower() in lowered for part in personal):
        raise InvalidInput("the password contains your user name or email", hint="choose something unrelated")
    if estimated_bits(text) < PASSWORD_MIN_BITS:
        raise InvalidInput(
            "the password is too easy to guess (repeated characters, a sequence, or too few kinds of character)",
            hint="make it longer, or mix in words, digits and symbols",
        )
    return text
