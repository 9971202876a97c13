"""The browser app's files: colours readable in both schemes (WCAG AA), nothing loaded from another host, no HTML
built from strings, and no inline script or style the page's CSP would refuse."""

from __future__ import annotations

import json
import re

import pytest

from paa.web import ASSETS, INDEX

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
CSS = (ASSETS / "style.css").read_text(encoding="utf-8")
SCRIPTS = {path.name: path.read_text(encoding="utf-8") for path in ASSETS.glob("*.js")}
# (foreground, background, least contrast): text needs 4.5:1, the edges of controls and the focus ring 3:1.
PAIRS = [
    ("fg", "bg", 4.5), ("fg", "card", 4.5), ("muted", "bg", 4.5), ("muted", "card", 4.5), ("accent", "bg", 4.5),
    ("accent", "card", 4.5), ("accent-fg", "accent", 4.5), ("ok", "card", 4.5), ("warn", "card", 4.5),
    ("danger", "bg", 4.5), ("danger", "card", 4.5), ("bg", "danger", 4.5), ("focus", "bg", 3.0),
]  # fmt: skip


def _palette(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


LIGHT = _palette(CSS.split("@media (prefers-color-scheme: dark)")[0])
DARK = _palette(CSS.split("@media (prefers-color-scheme: dark)")[1].split("}\n}")[0])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_colours_meet_wcag_aa(scheme: str) -> None:
    palette = LIGHT if scheme == "light" else DARK
    assert len(palette) >= 10  # the parse found the variables
    weak = [
        (fg, bg, round(_contrast(palette[fg], palette[bg]), 2))
        for fg, bg, least in PAIRS
        if _contrast(palette[fg], palette[bg]) < least
    ]
    assert weak == []


def test_nothing_comes_from_another_host() -> None:
    named_files = {"style.css": CSS, "index.html": INDEX.read_text(encoding="utf-8")}
    named_files["manifest.json"] = (ASSETS / "manifest.json").read_text(encoding="utf-8")
    for name, text in {**SCRIPTS, **named_files}.items():
        named = text.replace("http://127.0.0.1:8750/", "").replace(SVG_NAMESPACE, "")  # a name, not an address
        assert not re.search(r"(https?:)?//[\w.-]+\.\w+/", named), name
        assert "@import" not in text and "@font-face" not in text, name


def test_no_html_is_built_from_strings() -> None:
    for name, text in SCRIPTS.items():
        for sink in ("innerHTML", "outerHTML =", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in text, f"{name} uses {sink}"


def test_the_page_has_no_inline_script_or_style() -> None:
    page = INDEX.read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "<style" not in page and " style=" not in page and not re.search(r"\son\w+=", page)
    for name, text in SCRIPTS.items():
        assert 'setAttribute("style"' not in text and "'style'" not in text, name


def test_the_icons_are_what_the_script_draws() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("web_icons", ASSETS.parents[3] / "scripts" / "web_icons.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    manifest = json.loads((ASSETS / "manifest.json").read_text(encoding="utf-8"))
    for icon in manifest["icons"]:
        size = int(icon["sizes"].split("x")[0])
        assert (ASSETS / icon["src"].removeprefix("/app/")).read_bytes() == script.png(size), icon["src"]
