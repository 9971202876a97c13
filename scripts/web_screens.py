"""Picture every page of the browser app at a phone's and a desktop's width, into docs/screens/web/.

    python scripts/web_screens.py          # rewrite docs/screens/web/*.png and their *.aria.yml
    python scripts/web_screens.py --check  # exit 1 when a page's accessibility tree differs from its stored one

It registers an account in a temporary PAA_HOME, builds the TUI's fixed dataset for it (tests/support/tui_dataset.py,
on its fixed clock), starts `paa serve`, and opens each page in headless Chromium (Debian's, /usr/bin/chromium),
light, and the Today page dark too. Each picture is stored with the accessibility tree of the page's `main` (the
text, roles and names a screen reader gets): `--check`, run by tests/e2e/test_web_screens.py, compares those trees,
which do not depend on fonts or anti-aliasing as pixels do, so a change to a page that its pictures do not show yet
fails the check until the pictures are made again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screens" / "web"
PASSWORD = "correct horse battery staple"
FIXED_NOW = "2026-11-26T12:00:00+00:00"
DAYS = 60
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--font-render-hinting=none",
]  # fmt: skip
SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
# name -> (address after the server's, what shows the page is drawn)
PAGES = {
    "today": ("/#/today", "article.habit"),
    # The page holds both, one hidden: only a shown one means drawn (waiting on whichever came first in the page could
    # wait on the hidden one for good; seen once under load).
    "checkin": ("/#/checkin", 'section[aria-label="Today\'s check-in"]:visible, form.card:visible'),
    "chat": ("/#/chat/1", "li.message.assistant"),
    "analytics": ("/#/analytics", "svg.chart"),
    "habit": ("/#/habit/1", "svg.heatmap"),
    "habits": ("/#/habits", "article.habit"),
    "conversations": ("/#/conversations", "li[data-conversation]"),
    "settings": ("/#/settings", "#sessions ul.rows"),
}
# Logins are stamped with the real time (the security clock), not the dataset's fixed one: their moments are masked in
# the stored tree (the pictures show them as they were).
REAL_TIME_PAGES = {"settings"}
MOMENT = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s?[AP]M")


Scheme = Literal["light", "dark"]


def pictures() -> list[tuple[str, str, str, Scheme]]:
    """(picture name, page, size, colour scheme) of every picture."""
    found: list[tuple[str, str, str, Scheme]] = [
        (f"{page}-{size}", page, size, "light") for page in PAGES for size in SIZES
    ]
    return [*found, ("today-phone-dark", "today", "phone", "dark")]


def _env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PAA_", "ANTHROPIC_"))}
    env.update(PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_NOW=FIXED_NOW, NO_COLOR="1")
    env.update(PAA_SERVER_RATE_PER_MINUTE="1000000", PAA_SERVER_RATE_BURST="1000000", PAA_KEYRING="off")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _paa() -> str:
    path = Path(sys.executable).with_name("paa")
    if not path.exists():
        raise SystemExit(f"no paa executable next to {sys.executable}")
    return str(path)


@contextmanager
def serving() -> Iterator[str]:
    """A `paa serve` on the dataset, as alice; its URL."""
    import httpx

    with tempfile.TemporaryDirectory(prefix="paa-web-screens-") as folder:
        home = Path(folder)
        env = _env(home)
        done = subprocess.run(
            [_paa(), "auth", "register", "alice", "--password-stdin"],
            input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"registering failed:\n{done.stderr}")
        code = (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from tests.support.tui_dataset import build; build(Path(sys.argv[2]), days=int(sys.argv[3]))"
        )
        built = subprocess.run(
            [sys.executable, "-c", code, str(ROOT), env["PAA_HOME"], str(DAYS)],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        if built.returncode:
            raise SystemExit(f"building the dataset failed:\n{built.stderr}")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        server = subprocess.Popen(
            [_paa(), "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("paa serve did not start")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=60)


def _cookie(url: str) -> Any:
    import httpx

    answer = httpx.post(
        f"{url}/api/v1/auth/browser/login", json={"username": "alice", "password": PASSWORD},
        headers={"X-PAA-CSRF": "1"}, timeout=30,
    )  # fmt: skip
    answer.raise_for_status()
    return {"name": "paa_refresh", "value": answer.cookies["paa_refresh"], "url": url + "/api/v1/auth/browser/"}


def shoot(write: bool) -> dict[str, str]:
    """Every picture's accessibility tree (and, with `write`, its PNG written)."""
    from playwright.sync_api import sync_playwright

    trees: dict[str, str] = {}
    with serving() as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for name, page_name, size, scheme in pictures():
                width, height = SIZES[size]
                context = browser.new_context(
                    viewport={"width": width, "height": height}, color_scheme=scheme, locale="en-US",
                    timezone_id="UTC",
                )  # fmt: skip
                context.add_cookies([_cookie(url)])
                page = context.new_page()
                address, ready = PAGES[page_name]
                page.goto(url + address)
                page.wait_for_selector(ready, timeout=60_000)
                page.wait_for_load_state("networkidle")
                page.locator("#live").filter(has_text="live").wait_for(timeout=60_000)
                tree = page.locator("main").aria_snapshot() + "\n"
                trees[name] = MOMENT.sub("<time>", tree) if page_name in REAL_TIME_PAGES else tree
                if write:
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=size == "phone", animations="disabled")
                context.close()
        finally:
            browser.close()
    return trees


def check() -> list[str]:
    """The pictures whose stored tree differs from the app's now, one line each ("name: why")."""
    differ = []
    for name, tree in shoot(write=False).items():
        stored = OUT / f"{name}.aria.yml"
        if not stored.is_file() or not (OUT / f"{name}.png").is_file():
            differ.append(f"{name}: missing")
        elif stored.read_text(encoding="utf-8") != tree:
            differ.append(f"{name}: the page changed")
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        differ = check()
        for line in differ:
            print(line)
        if differ:
            print("regenerate with: python scripts/web_screens.py", file=sys.stderr)
        return 1 if differ else 0
    OUT.mkdir(parents=True, exist_ok=True)
    trees = shoot(write=True)
    for name, tree in trees.items():
        (OUT / f"{name}.aria.yml").write_text(tree, encoding="utf-8")
    print(json.dumps(sorted(trees)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
