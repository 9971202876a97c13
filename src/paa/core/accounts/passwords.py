"""Password hashing with argon2id; argon2 is imported only by the commands that check or set a password.

The default cost is RFC 9106's second recommended option: 3 passes over 64 MiB with 4 lanes (about 0.4 s on a
2-core laptop), deliberate for `paa auth login` and paid by no other command. `PAA_ARGON2` may raise it, never
lower it: whoever can set a variable must not be able to store hashes that are cheap to crack. A stored hash made
with other parameters (a weaker one from an older paa, say) is re-hashed at the next login. Tests hash cheaply by
giving the Runtime `hash_params` (trusted code), not through the environment.

An unknown user name costs what a wrong password costs: one verification, against a dummy hash with the current
parameters that is built without hashing anything, so the time taken does not tell which names exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from paa.errors import ConfigError

ENV_VARIABLE = "PAA_ARGON2"


@dataclass(frozen=True)
class HashParams:
    """argon2id parameters: passes, memory in KiB, and lanes."""

    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 4

    def describe(self) -> str:
        return f"argon2id t={self.time_cost} m={self.memory_cost} KiB p={self.parallelism}"


DEFAULT_PARAMS = HashParams()
_NAMES = {"t": "time_cost", "time_cost": "time_cost", "m": "memory_cost", "memory_cost": "memory_cost",
          "p": "parallelism", "parallelism": "parallelism"}  # fmt: skip


def params_from(environ: Mapping[str, str]) -> HashParams:
    """The hashing parameters: PAA_ARGON2 ("t=3,m=65536,p=4", any subset) over the defaults, never below them."""
    env = environ
    raw = env.get(ENV_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_PARAMS
    values: dict[str, int] = {}
    for part in raw.split(","):
        name, _, number = part.partition("=")
        field = _NAMES.get(name.strip().lower())
        if field is None or not number.strip().isdigit():
            raise ConfigError(f"{ENV_VARIABLE}: cannot read {part.strip()[:40]!r}", hint='e.g. "t=3,m=65536,p=4"')
        values[field] = int(number)
    params = HashParams(**{**DEFAULT_PARAMS.__dict__, **values})
    if params.time_cost < DEFAULT_PARAMS.time_cost or params.memory_cost < DEFAULT_PARAMS.memory_cost:
        raise ConfigError(
            f"{ENV_VARIABLE} can only raise the hashing cost: t must be at least {DEFAULT_PARAMS.time_cost} "
            f"and m at least {DEFAULT_PARAMS.memory_cost} KiB",
            hint=f"unset {ENV_VARIABLE} to use the default ({DEFAULT_PARAMS.describe()})",
        )
    if not (1 <= params.time_cost <= 20 and 1 <= params.parallelism <= 64):
        raise ConfigError(f"{ENV_VARIABLE}: t must be 1-20 and p 1-64")
    if not (8 * params.parallelism <= params.memory_cost <= 4 * 1024 * 1024):
        raise ConfigError(f"{ENV_VARIABLE}: m must be from 8*p KiB to 4 GiB")
    return params


@cache
def _hasher(params: HashParams) -> Any:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=params.time_cost, memory_cost=params.memory_cost, parallelism=params.parallelism,
        hash_len=32, salt_len=16, type=Type.ID,
    )  # fmt: skip


def hash_password(password: str, params: HashParams) -> str:
    """An argon2id hash of the password, with a fresh random salt, in the standard encoded form."""
    return str(_hasher(params).hash(password))


def verify_password(stored_hash: str, password: str, params: HashParams) -> bool:
    """Whether the password matches; a damaged or foreign hash is a mismatch, never an exception."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher(params).verify(stored_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, params: HashParams) -> bool:
    """Whether a matching hash was made with other parameters and should be replaced."""
    from argon2.exceptions import InvalidHashError

    try:
        return bool(_hasher(params).check_needs_rehash(stored_hash))
    except InvalidHashError:
        return True


@cache
def dummy_hash(params: HashParams) -> str:
    """A hash to verify against when the account does not exist, so a wrong name costs as long as a wrong password.

    It is written out rather than computed: hashing it would make the first unknown name of a process cost twice
    what a wrong password does. Its digest matches no password; verifying it takes a full verification.
    """
    salt = _b64(b"paa:no-such-user")  # 16 bytes, like a real salt
    digest = _b64(bytes(32))
    return f"$argon2id$v=19$m={params.memory_cost},t={params.time_cost},p={params.parallelism}${salt}${digest}"


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode("ascii").rstrip("=")
