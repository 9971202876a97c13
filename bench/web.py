"""Browser app benchmark: the Today page of a real `paa serve` on a year of data, in headless Chromium.

    python bench/web.py [--runs 5] [--days 365] [--json]

In a temporary PAA_HOME it registers an account (logged in for the terminal too), builds a year of the TUI's fixed
dataset for it (tests/support/tui_dataset.py: seven habits, daily logs, check-ins, a conversation), starts
`paa serve`, and then, `--runs` times, in a fresh browser context (an empty HTTP cache) holding a fresh sign-in
cookie, opens the app at `/`:

- first load: first contentful paint, and the time to interactive, from the navigation's start to the moment
  the habits are on the page with their buttons working (the app wires them as it draws them), and the bytes
  transferred (bodies and headers of every HTTP answer; the WebSocket's frames are not counted);
- cached load: the same page loaded again in the same context (its files are revalidated: 304s), the same figures.

Goals (issue #16): interactive under 1 s locally; under 200 KB transferred on a first load, under 20 KB cached.
Needs Debian's chromium at /usr/bin/chromium and the `playwright` package (never `playwright install`).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
FIXED_NOW = "2026-11-26T12:00:00+00:00"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
GOALS = {"interactive_ms": 1000, "first_load_bytes": 200_000, "cached_load_bytes": 20_000}
READY = "article.habit"  # the habits are drawn: the page is usable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def paa_executable() -> Path:
    path = Path(sys.executable).with_name("paa")
    if not path.exists():
        raise SystemExit(f"no paa executable next to {sys.executable}; install paa in this environment first")
    return path


def isolated_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PAA_", "ANTHROPIC_"))}
    env.update(PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_NOW=FIXED_NOW, NO_COLOR="1")
    env.update(PAA_SERVER_RATE_PER_MINUTE="1000000", PAA_SERVER_RATE_BURST="1000000", PAA_KEYRING="off")
    env["PAA_NO_SERVER"] = "1"  # measured as started from scratch: no warm server (started on first use otherwise)
    return env


def prepare(home: Path, days: int) -> dict[str, int]:
    """An account, logged in for the terminal, and the dataset built as that account (in a child process)."""
    env = isolated_env(home)
    registered = subprocess.run(
        [str(paa_executable()), "auth", "register", "alice", "--password-stdin"],
        input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if registered.returncode:
        raise SystemExit(f"registering failed:\n{registered.stderr}")
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from tests.support.tui_dataset import build; "
        "print(json.dumps(dict(build(Path(sys.argv[2]), days=int(sys.argv[3])))))"
    )
    built = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), env["PAA_HOME"], str(days)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if built.returncode:
        raise SystemExit(f"building the dataset failed:\n{built.stderr}")
    return dict(json.loads(built.stdout))


def start_server(home: Path) -> tuple[subprocess.Popen[str], str]:
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [str(paa_executable()), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=isolated_env(home),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("paa serve did not answer /healthz within 120 s")


def sign_in_cookie(url: str) -> dict[str, Any]:
    """A fresh login's refresh cookie, as the app's sign-in form would get it (each run spends its own)."""
    import httpx

    answer = httpx.post(
        f"{url}/api/v1/auth/browser/login", json={"username": "alice", "password": PASSWORD},
        headers={"X-PAA-CSRF": "1"}, timeout=30,
    )  # fmt: skip
    answer.raise_for_status()
    value = answer.cookies["paa_refresh"]
    return {"name": "paa_refresh", "value": value, "url": url + "/api/v1/auth/browser/", "httpOnly": True,
            "sameSite": "Strict"}  # fmt: skip


def load(page: Any, action: Any) -> dict[str, float]:
    """Run `action` (a navigation), wait for the habits; the figures of that load."""
    sizes: list[Any] = []

    def finished(request: Any) -> None:
        sizes.append(request)

    page.on("requestfinished", finished)
    action()
    page.wait_for_selector(READY)
    timing = page.evaluate(
        """() => ({
            interactive: performance.now(),
            fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null,
        })"""
    )
    page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", finished)
    transferred = 0
    for request in sizes:
        measured = request.sizes()
        transferred += measured["responseBodySize"] + measured["responseHeadersSize"]
    return {"interactive_ms": timing["interactive"], "fcp_ms": timing["fcp"] or 0.0, "bytes": float(transferred)}


def measure(url: str, runs: int) -> dict[str, list[dict[str, float]]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict[str, float]]] = {"first": [], "cached": []}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 360, "height": 740})
                context.add_cookies([sign_in_cookie(url)])  # type: ignore[list-item]  # a SetCookieParam
                page = context.new_page()
                results["first"].append(load(page, lambda page=page: page.goto(url + "/")))
                results["cached"].append(load(page, lambda page=page: page.reload()))
                context.close()
        finally:
            browser.close()
    return results


def summary(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        kind: {key: statistics.median(run[key] for run in runs) for key in runs[0]} for kind, runs in results.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="paa-bench-web-") as folder:
        home = Path(folder)
        counts = prepare(home, args.days)
        process, url = start_server(home)
        try:
            figures = summary(measure(url, args.runs))
        finally:
            process.terminate()
            process.wait(timeout=60)
    met = {
        "interactive_ms": figures["first"]["interactive_ms"] < GOALS["interactive_ms"],
        "first_load_bytes": figures["first"]["bytes"] < GOALS["first_load_bytes"],
        "cached_load_bytes": figures["cached"]["bytes"] < GOALS["cached_load_bytes"],
    }
    if args.json:
        print(json.dumps({"dataset": counts, "runs": args.runs, "median": figures, "goals": GOALS, "met": met}))
        return 0
    print(f"dataset: {counts}; {args.runs} runs, medians; Today page at 360x740 in headless Chromium")
    for kind in ("first", "cached"):
        row = figures[kind]
        print(
            f"{kind:>6} load: first contentful paint {row['fcp_ms']:6.0f} ms,"
            f" interactive {row['interactive_ms']:6.0f} ms, {row['bytes'] / 1000:7.1f} KB transferred"
        )
    print("goals: " + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in met.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
