"""The browser app's "Sign in with GitHub" in headless Chromium, against a real `paa serve` whose provider is the fake
one on 127.0.0.1 (tests/support/serve_fake_oauth.py): only configured providers are offered, the code is shown, and
once the fake approves it the page is signed in, as a new account made for that identity."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_serve import Server, free_port
from tests.e2e.test_web import chromium, opened_page, server  # noqa: F401 (fixtures)
from tests.support.fake_oauth import FakeOAuth, serve
from tests.support.processes import child_env
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def github_server(paa_home: Path) -> Iterator[tuple[Server, FakeOAuth]]:
    """`paa serve` with a GitHub client id, reaching the fake provider (which answers pending once, then approves)."""
    with serve() as fake:
        fake.token_script = ["authorization_pending", "ok"]
        port = free_port()
        env = child_env({"PAA_OAUTH_GITHUB_CLIENT_ID": "paa-test-client", "PYTHONPATH": str(ROOT)})
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.serve_fake_oauth", fake.url, "serve", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )  # fmt: skip
        running = Server(process, f"http://127.0.0.1:{port}")
        try:
            wait_until(lambda: running.healthy() or process.poll() is not None, what="/healthz",
                       describe=running.describe)  # fmt: skip
            assert process.poll() is None, process.communicate()[1]
            yield running, fake
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=GIVE_UP_SECONDS)


def test_sign_in_with_github_shows_the_code_and_signs_in_once_approved(
    chromium: Any,  # noqa: F811
    github_server: tuple[Server, FakeOAuth],
) -> None:
    from playwright.sync_api import expect

    running, fake = github_server
    with opened_page(chromium) as page:
        page.goto(running.url + "/")
        offered = page.get_by_role("group", name="Other ways to sign in")
        expect(offered.get_by_role("button")).to_have_count(1)  # Google has no client id here: not offered
        offered.get_by_role("button", name="Sign in with GitHub").click()
        link = page.get_by_role("link", name="https://github.com/login/device")
        expect(link).to_have_attribute("target", "_blank")  # opened by the person; the page asks no other host
        expect(page.locator("strong.code")).to_have_text("WDJB-MJHT")
        page.get_by_role("heading", name="Today", exact=True).wait_for()  # approved on the second poll
        expect(page.locator("#who")).to_have_text("octo-alice")  # a new account, named after the GitHub login
        assert fake.token_script == []  # both answers were asked for, by the server
        page.get_by_role("link", name="Settings").click()
        logins = page.get_by_role("list", name="Your logins")
        expect(logins.get_by_role("button", name="(this device)", exact=False)).to_have_count(1)


def test_no_provider_configured_offers_none(chromium: Any, server: Server) -> None:  # noqa: F811
    from playwright.sync_api import expect

    assert httpx.get(server.url + "/api/v1/auth/browser/providers").json() == []
    with opened_page(chromium) as page:
        with page.expect_response("**/api/v1/auth/browser/providers"):
            page.goto(server.url + "/")
        page.get_by_role("heading", name="Sign in to paa").wait_for()
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        expect(page.get_by_role("group", name="Other ways to sign in")).to_have_count(0)
