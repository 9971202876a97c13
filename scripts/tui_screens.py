"""Draw every TUI screen on the fixed dataset and write the pictures to docs/screens/, as Textual exports them.

    python scripts/tui_screens.py          # rewrite docs/screens/*.svg
    python scripts/tui_screens.py --check  # exit 1 when a picture differs from the tests' snapshot of it

Each picture comes from the production app factory, the dataset of tests/support/tui_dataset.py and its fixed clock,
driven to one screen by the scenes of tests/support/tui_scenes.py: the same runs as the 120x40 snapshot tests (and the
light dashboard at 80x24), so `--check` compares with those snapshots and tests/tui/test_docs_screens.py runs it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screens"
SNAPSHOTS = ROOT / "tests" / "tui" / "__snapshots__" / "test_snapshots"
SIZE = (120, 40)


def pictures() -> dict[str, tuple[str, tuple[int, int], str | None]]:
    """Picture name -> (scene, terminal size, theme)."""
    from tests.support.tui_scenes import SCENES

    found: dict[str, tuple[str, tuple[int, int], str | None]] = {name: (name, SIZE, None) for name in SCENES}
    found["dashboard-light"] = ("dashboard", (80, 24), "textual-light")
    return found


def snapshot_of(name: str) -> Path:
    if name == "dashboard-light":
        return SNAPSHOTS / "test_dashboard_light_theme.svg"
    return SNAPSHOTS / f"test_screen[{name}-{SIZE[0]}x{SIZE[1]}].svg"


def normalised(svg: str) -> str:
    """Without the random id Rich puts in every class name, as pytest-textual-snapshot stores them."""
    return re.sub(r"\bterminal-\d+-([\w-]+)", r"terminal-\1", svg)


def draw(name: str, scene: str, size: tuple[int, int], theme: str | None, template: Path, work: Path) -> str:
    from tests.support import tui_dataset as dataset
    from tests.support.tui_scenes import SCENES
    from textual._doc import take_svg_screenshot

    from paa.clock import FixedClock
    from paa.tui.app import create_app

    home = work / name
    shutil.copytree(template, home)
    environ = {**os.environ, **dataset.environ(home)}
    for key in [key for key in environ if key.startswith("ANTHROPIC_")]:
        del environ[key]
    os.environ.update(environ)
    app = create_app(environ=environ, clock=FixedClock(dataset.NOW), poll_seconds=0.1, animations=False)
    if theme:
        app.theme = theme
    try:
        return normalised(take_svg_screenshot(app=app, terminal_size=size, run_before=SCENES[scene]))
    finally:
        app.stop_workers()
        app.store.close()


def generate() -> list[Path]:
    from tests.support import tui_dataset as dataset

    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="paa-screens-") as temp:
        work = Path(temp)
        template = work / "template"
        dataset.build(template)
        for name, (scene, size, theme) in pictures().items():
            path = OUT / f"{name}.svg"
            path.write_text(draw(name, scene, size, theme, template, work), encoding="utf-8")
            written.append(path)
    return written


def check() -> list[str]:
    """The pictures in docs/screens/ that differ from the snapshots the tests hold (empty when all are current)."""
    stale = []
    for name in pictures():
        picture, snapshot = OUT / f"{name}.svg", snapshot_of(name)
        if not picture.exists() or not snapshot.exists():
            stale.append(f"{name}: missing {picture if not picture.exists() else snapshot}")
        elif normalised(picture.read_text(encoding="utf-8")) != normalised(snapshot.read_text(encoding="utf-8")):
            stale.append(f"{name}: docs/screens/{picture.name} differs from its snapshot {snapshot.name}")
    return stale


def main(argv: list[str] | None = None) -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # for tests.support: the dataset and the scenes
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the snapshots; exit 1 when stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = check()
        for line in stale:
            print(line)
        if stale:
            print("run: python scripts/tui_screens.py (after pytest tests/tui/test_snapshots.py --snapshot-update)")
        return 1 if stale else 0
    for path in generate():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
