"""`paa auth key` and core.secrets: keys go to the OS keyring or a 0600 file, are never printed, and chat uses them."""

from __future__ import annotations

import io
import json
import os
import sys
import types

import pytest

from paa.config import resolve_paths
from paa.core.accounts import secrets
from tests.support.fake_anthropic import FakeAnthropic, reply

KEY = "sk-ant-api03-secret-value-1234"


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_KEYRING", "off")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


class MemoryKeyring:
    """A keyring backend that keeps passwords in a dict (the real keyring is never touched in tests)."""

    priority = 5

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, name: str, value: str) -> None:
        self.passwords[(service, name)] = value

    def get_password(self, service: str, name: str) -> str | None:
        return self.passwords.get((service, name))

    def delete_password(self, service: str, name: str) -> None:
        del self.passwords[(service, name)]


def test_set_list_and_remove_with_the_file(cli, monkeypatch, paa_home) -> None:
    _stdin(monkeypatch, KEY + "\n")
    stored = cli("auth", "key", "set", "anthropic")
    assert stored.code == 0, stored.err
    assert KEY not in stored.out + stored.err
    path = paa_home / "secrets.json"
    assert stored.out.strip() == f"Stored the anthropic key in {path} (readable only by you)."
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text()) == {"anthropic": KEY}
    listed = cli("auth", "key", "list", "--json")
    assert json.loads(listed.out) == [{"name": "anthropic", "where": "file", "detail": str(path)}]
    assert KEY not in cli("auth", "key", "list").out
    assert cli("auth", "key", "remove", "anthropic").code == 11  # not confirmed without a terminal
    removed = cli("auth", "key", "remove", "anthropic", "--yes")
    assert removed.out.strip() == "Removed the anthropic key from file."
    assert json.loads(path.read_text()) == {}
    assert cli("auth", "key", "remove", "anthropic", "--yes").code == 4


def test_the_environment_variable_is_listed_and_wins(cli, monkeypatch) -> None:
    _stdin(monkeypatch, KEY)
    cli("auth", "key", "set", "anthropic")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env")
    assert [i["where"] for i in json.loads(cli("auth", "key", "list", "--json").out)] == ["env", "file"]
    found = secrets.get_secret(resolve_paths(os.environ), "anthropic", os.environ)
    assert found is not None and found[0] == "sk-from-env" and found[1].where == "env"
    _stdin(monkeypatch, KEY)
    assert "ANTHROPIC_API_KEY is set in this shell" in cli("auth", "key", "set", "anthropic").out


@pytest.mark.parametrize(
    ("args", "text", "code", "message"),
    [
        (("auth", "key", "set", "openai"), KEY, 3, "unknown key name 'openai'"),
        (("auth", "key", "set", "anthropic"), "\n", 3, "the key is empty"),
        (("auth", "key", "set", "anthropic"), "two words\n", 3, "does not look like an API key"),
    ],
)
def test_bad_names_and_values(cli, monkeypatch, args, text: str, code: int, message: str) -> None:
    _stdin(monkeypatch, text)
    result = cli(*args)
    assert result.code == code and message in result.err


class CountingKeyring(types.ModuleType):
    """A stand-in `keyring` module that counts how often the backend is looked for (its costly part)."""

    def __init__(self, backend: object) -> None:
        super().__init__("keyring")
        self.backend = backend
        self.lookups = 0

    def get_keyring(self) -> object:
        self.lookups += 1
        return self.backend


def _fake_keyring(monkeypatch: pytest.MonkeyPatch, backend: object) -> CountingKeyring:
    module = CountingKeyring(backend)
    fail = types.ModuleType("keyring.backends.fail")
    fail.Keyring = type("FailKeyring", (), {})  # type: ignore[attr-defined]
    backends = types.ModuleType("keyring.backends")
    backends.fail = fail  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    monkeypatch.setitem(sys.modules, "keyring.backends", backends)
    monkeypatch.setitem(sys.modules, "keyring.backends.fail", fail)
    return module


def test_a_key_kept_in_the_keyring_before_the_note_existed_is_found(paa_home) -> None:
    """A data folder from before keyring.json: the keyring is asked once, and the note remembers what it holds."""
    backend = MemoryKeyring()
    backend.set_password("paa", "anthropic", KEY)
    paths = resolve_paths(os.environ)
    on: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        module = _fake_keyring(patch, backend)
        found = secrets.get_secret(paths, "anthropic", on)
        assert found is not None and found[0] == KEY and found[1].where == "keyring"
        assert json.loads((paa_home / "keyring.json").read_text()) == {"names": ["anthropic"]}
        assert secrets.get_secret(paths, "anthropic", on) == found
        assert module.lookups >= 1


def test_no_key_in_the_keyring_means_the_keyring_is_not_looked_for(paa_home) -> None:
    backend = MemoryKeyring()
    paths = resolve_paths(os.environ)
    on: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        module = _fake_keyring(patch, backend)
        assert secrets.get_secret(paths, "anthropic", on) is None  # first time: asked, and noted as empty
        assert json.loads((paa_home / "keyring.json").read_text()) == {"names": []}
        before = module.lookups
        assert secrets.get_secret(paths, "anthropic", on) is None
        assert secrets.set_secret(paths, "anthropic", KEY, {"PAA_KEYRING": "off"}).where == "file"
        found = secrets.get_secret(paths, "anthropic", on)
        assert found is not None and found[0] == KEY and found[1].where == "file"
        assert module.lookups == before  # the note said nothing is there: no search for a backend

        info = secrets.set_secret(paths, "anthropic", KEY + "2", on)  # now into the keyring: noted
        assert info.where == "keyring" and secrets.get_secret(paths, "anthropic", on) == (KEY + "2", info)
        assert json.loads((paa_home / "keyring.json").read_text()) == {"names": ["anthropic"]}
        assert [i.where for i in secrets.delete_secret(paths, "anthropic", on)] == ["keyring"]
        assert json.loads((paa_home / "keyring.json").read_text()) == {"names": []}


def test_whether_a_key_is_known_is_told_without_asking_the_keyring(paa_home) -> None:
    """`secret_known` (the warm server's worker asks it to send a check-in the model reads to the process that has
    Claude's SDK): the variable, the file or the keyring's note say so; no note, or a damaged file, is a perhaps.
    The keyring itself is never asked."""
    paths = resolve_paths(os.environ)
    on: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        module = _fake_keyring(patch, MemoryKeyring())
        assert secrets.secret_known(paths, "anthropic", on)  # no note yet: perhaps in the keyring
        assert not secrets.secret_known(paths, "anthropic", {"PAA_KEYRING": "off"})
        assert secrets.secret_known(paths, "anthropic", {"PAA_KEYRING": "off", "ANTHROPIC_API_KEY": KEY})
        assert not secrets.secret_known(paths, "anthropic", {"PAA_KEYRING": "off", "ANTHROPIC_API_KEY": " "})
        paa_home.mkdir(parents=True, exist_ok=True)
        (paa_home / "keyring.json").write_text('{"names": []}')
        assert not secrets.secret_known(paths, "anthropic", on)
        (paa_home / "keyring.json").write_text('{"names": ["anthropic"]}')
        assert secrets.secret_known(paths, "anthropic", on)
        assert not secrets.secret_known(paths, "anthropic", {"PAA_KEYRING": "off"})
        secrets.set_secret(paths, "anthropic", KEY, {"PAA_KEYRING": "off"})
        assert secrets.secret_known(paths, "anthropic", {"PAA_KEYRING": "off"})
        (paa_home / "secrets.json").write_text("{damaged")
        assert secrets.secret_known(paths, "anthropic", {"PAA_KEYRING": "off"})
        assert module.lookups == 0


def test_listing_asks_the_keyring_and_corrects_the_note(paa_home) -> None:
    """A key put in the keyring behind paa's back (or by another data folder) is found once it is listed."""
    backend = MemoryKeyring()
    paths = resolve_paths(os.environ)
    on: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        _fake_keyring(patch, backend)
        assert secrets.get_secret(paths, "anthropic", on) is None
        backend.set_password("paa", "anthropic", KEY)
        assert [i.where for i in secrets.list_secrets(paths, on)] == ["keyring"]
        found = secrets.get_secret(paths, "anthropic", on)
        assert found is not None and found[0] == KEY


def test_the_keyring_is_used_when_there_is_one(monkeypatch, paa_home) -> None:
    backend = MemoryKeyring()
    fake_keyring = types.ModuleType("keyring")
    fake_keyring.get_keyring = lambda: backend  # type: ignore[attr-defined]
    fail = types.ModuleType("keyring.backends.fail")

    class FailKeyring:  # stands for keyring's "no backend" placeholder
        pass

    fail.Keyring = FailKeyring  # type: ignore[attr-defined]
    backends = types.ModuleType("keyring.backends")
    backends.fail = fail  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", fake_keyring)
    monkeypatch.setitem(sys.modules, "keyring.backends", backends)
    monkeypatch.setitem(sys.modules, "keyring.backends.fail", fail)
    paths = resolve_paths(os.environ)

    off = {"PAA_KEYRING": "off"}
    assert secrets.set_secret(paths, "anthropic", KEY, off).where == "file"
    assert backend.passwords == {}  # switched off: never touched

    on: dict[str, str] = {}
    info = secrets.set_secret(paths, "anthropic", KEY, on)
    assert info.where == "keyring" and backend.passwords == {("paa", "anthropic"): KEY}
    assert json.loads((paa_home / "secrets.json").read_text()) == {}  # the file copy was dropped
    assert secrets.get_secret(paths, "anthropic", on) == (KEY, info)
    assert [i.where for i in secrets.delete_secret(paths, "anthropic", on)] == ["keyring"]
    assert secrets.get_secret(paths, "anthropic", on) is None

    backend_fail = FailKeyring()
    fake_keyring.get_keyring = lambda: backend_fail  # type: ignore[attr-defined]
    assert secrets.keyring_backend(on) is None  # keyring's fail backend means: no keyring here


def test_chat_uses_the_stored_key(cli, monkeypatch, fake_anthropic: FakeAnthropic) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    _stdin(monkeypatch, fake_anthropic.api_key)
    cli("auth", "key", "set", "anthropic")
    fake_anthropic.push(reply("Hello with the stored key."))
    _stdin(monkeypatch, "")
    result = cli("chat", "hi")
    assert result.out == "Hello with the stored key.\n", result.err
    assert fake_anthropic.requests[0].headers["authorization"] == f"Bearer {fake_anthropic.api_key}"
