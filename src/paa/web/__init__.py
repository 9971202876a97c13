"""The browser app: plain ES modules, a style sheet and one HTML page, served as they are by `paa serve`.

There is no Python here but where the files are; the API mounts them (paa.api.web). docs/web.md describes the app,
docs/architecture.md says why it needs no build step.
"""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).parent / "static"
INDEX = ASSETS / "index.html"
