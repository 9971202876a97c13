"""The CLI's session tokens: one per logged-in user, in a 0600 file in the data folder, and which one is current.

`paa auth login` writes a token here and makes its user current; `paa --user NAME` (or PAA_USER) picks another
stored one; `paa auth logout` removes it. The database keeps only each token's SHA-256.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from paa.config import Paths
from paa.errors import StorageError
from paa.files import write_private_json

FILE_NAME = "session.json"


@dataclass
class TokenFile:
    """The stored tokens by user name, and the user `paa` acts as when none is named."""

    current: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)


def token_path(paths: Paths) -> Path:
    return paths.data_dir / FILE_NAME


def read_tokens(paths: Paths) -> TokenFile:
    """The token file, or an empty one when there is none; a damaged file counts as empty."""
    path = token_path(paths)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return TokenFile()
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except ValueError:
        return TokenFile()
    if not isinstance(data, dict):
        return TokenFile()
    tokens = data.get("tokens")
    clean = {str(k): v for k, v in tokens.items() if isinstance(v, str)} if isinstance(tokens, dict) else {}
    current = data.get("current")
    return TokenFile(current if isinstance(current, str) and current in clean else None, clean)


def write_tokens(paths: Paths, stored: TokenFile) -> None:
    """Replace the file atomically; it is created 0600 and never exists with wider permissions."""
    path = token_path(paths)
    if not stored.tokens:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"cannot remove {path}: {exc.strerror}") from None
        return
    data = {"current": stored.current, "tokens": dict(sorted(stored.tokens.items()))}
    try:
        write_private_json(path, data)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None


def remember_token(paths: Paths, user_name: str, token: str) -> None:
    """Keep a new session token for a user and make that user current."""
    stored = read_tokens(paths)
    stored.tokens[user_name] = token
    stored.current = user_name
    write_tokens(paths, stored)


def forget_token(paths: Paths, user_name: str) -> str | None:
    """Drop a user's token (returning it); the current user becomes another stored one, or none."""
    stored = read_tokens(paths)
    token = stored.tokens.pop(user_name, None)
    if stored.current == user_name:
        stored.current = next(iter(sorted(stored.tokens)), None)
    write_tokens(paths, stored)
    return token
