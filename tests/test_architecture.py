"""The layering rules of DESIGN.md, checked by import-linter against the real package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.e2e
def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.fail("import-linter is not installed; install paa with the test extra")
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # layers, core free of interface libraries, ai and daemon free of terminal libraries, no cycles between siblings
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.e2e
def test_package_import_has_no_side_effects(tmp_path: Path) -> None:
    """Importing paa and its CLI module writes nothing and opens no database."""
    env = {"PAA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}  # not into src/
    code = "import paa, paa.cli.main, paa.core.habits.manage, paa.config; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
    assert not (tmp_path / "home").exists()
