"""Password hashing with argon2id; argon2 is imported only by the commands that check or set a password.

The default cost is RFC 9106's second recommended option: 3 passes over 64 MiB with 4 lanes (about 0.4 s on a
2-core laptop), deliberate for `paa auth login` and paid by no other command. `PAA_ARGON2` overrides it, e.g.
`PAA_ARGON2="t=1,m=64,p=1"` in tests; a stored hash made with other parameters is re-hashed at the next login.
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
    """The hashing parameters: PAA_ARGON2 ("t=3,m=65536,p=4", any subset) over the defaults."""
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
    """A hash to verify against when the account does not exist, so a wrong name costs as long as a wrong password."""
    return hash_password("paa: no such account", params)
