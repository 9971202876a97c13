"""Snapshots of every screen at 80x24 and 120x40, on the fixed dataset and clock (pytest-textual-snapshot).

After a deliberate change of the look, refresh them with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the pictures in tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest

from tests.support.tui import SIZES
from tests.support.tui_scenes import SCENES, dashboard


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("screen", SCENES.keys())
def test_screen(screen: str, size: tuple[int, int], seeded, make_app, snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=SCENES[screen])


def test_dashboard_light_theme(seeded, make_app, snap_compare) -> None:
    app = make_app()
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=(80, 24), run_before=dashboard)
