"""Private files are written whole and 0600; a lock is held by one holder at a time."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from paa.files import LockHeld, file_lock, open_locked, write_private_json, write_private_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_private_file_is_0600_in_a_0700_folder_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "new" / "secrets.json"
    write_private_json(path, {"b": 1, "a": 2}, sort_keys=True)
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert path.read_text(encoding="utf-8") == '{\n  "a": 2,\n  "b": 1\n}'
    path.chmod(0o644)  # made wider by hand: the next write is private again
    write_private_text(path, "replaced")
    assert path.read_text(encoding="utf-8") == "replaced" and _mode(path) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["secrets.json"]  # no temp file left behind


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_private_json(path, {"ok": True})
    with pytest.raises(TypeError):
        write_private_json(path, {"when": object()})  # not JSON: nothing is written
    with pytest.raises(UnicodeEncodeError):
        write_private_text(path, "\ud800")  # cannot be encoded: the temp file is removed
    assert json.loads(path.read_text(encoding="utf-8")) == {"ok": True}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_a_held_lock_refuses_another_holder_until_released(tmp_path: Path) -> None:
    lock = tmp_path / "run" / "daemon.lock"
    with file_lock(lock):
        assert _mode(lock) == 0o600
        with pytest.raises(LockHeld):
            open_locked(lock, wait=False)
    fd = open_locked(lock, wait=False)  # released at the end of the block
    os.close(fd)
    with pytest.raises(FileNotFoundError):
        open_locked(tmp_path / "missing.lock", wait=False, create=False)
