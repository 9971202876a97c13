"""The screen pictures in docs/screens/ are the current snapshots (scripts/tui_screens.py --check)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("tui_screens", ROOT / "scripts" / "tui_screens.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_screen_has_a_current_picture_in_the_docs() -> None:
    script = _script()
    assert script.check() == [], "run: python scripts/tui_screens.py"
    assert {path.stem for path in (ROOT / "docs" / "screens").glob("*.svg")} == set(script.pictures())


def test_the_check_notices_a_stale_picture(tmp_path, monkeypatch) -> None:
    script = _script()
    stale = tmp_path / "screens"
    stale.mkdir()
    for path in (ROOT / "docs" / "screens").glob("*.svg"):
        (stale / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (stale / "help.svg").write_text("<svg/>", encoding="utf-8")
    monkeypatch.setattr(script, "OUT", stale)
    assert [line.split(":")[0] for line in script.check()] == ["help"]
