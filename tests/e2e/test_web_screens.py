"""The browser app's pictures in docs/screens/web/ show the pages as they are (scripts/web_screens.py --check)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_screens", ROOT / "scripts" / "web_screens.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_page_has_a_current_picture(paa_home: Path) -> None:
    script = _script()
    if not Path(script.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{script.CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{script.CHROMIUM} is not installed")
    pytest.importorskip("playwright.sync_api")
    names = {name for name, *_ in script.pictures()}
    stored = {path.name.removesuffix(".aria.yml") for path in script.OUT.glob("*.aria.yml")}
    assert stored == names == {path.stem for path in script.OUT.glob("*.png")}
    assert script.check() == [], "run: python scripts/web_screens.py"
