"""Browser (system) notifications in headless Chromium: turned on in Settings with the permission granted through
Playwright's context permissions, a reminder arriving over the WebSocket is shown by the service worker (read back
with `getNotifications`) as well as in the page; without the choice made, only in the page."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.test_serve import Server
from tests.e2e.test_web import STEP_MS, alice, chromium, server, sign_in  # noqa: F401 (fixtures)
from tests.support.clock import FIXED_NOW
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
SHOWN = """navigator.serviceWorker.ready.then((worker) => worker.getNotifications())
             .then((shown) => shown.map((notification) => [notification.title, notification.body]))"""


def _remind(run_paa: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    at_six = (FIXED_NOW + timedelta(hours=6, seconds=30)).isoformat()  # the daemon's one-shot pass at 18:00
    due = run_paa("remind", "run-due", "--json", env={"PAA_NOW": at_six, "PAA_NOTIFY_CHANNELS": "log"})
    assert due.returncode == 0, due.stderr


@pytest.mark.parametrize("turned_on", [True, False], ids=["turned-on", "not-turned-on"])
def test_a_reminder_is_a_system_notification_once_turned_on(
    chromium: Any,  # noqa: F811
    server: Server,  # noqa: F811
    alice: str,  # noqa: F811
    run_paa: Callable[..., subprocess.CompletedProcess[str]],
    turned_on: bool,
) -> None:
    from playwright.sync_api import expect

    assert run_paa("habit", "edit", "Stretch", "--remind", "18:00").returncode == 0
    context = chromium.new_context(viewport={"width": 360, "height": 740}, permissions=["notifications"])
    context.set_default_timeout(STEP_MS)
    try:
        page = context.new_page()
        sign_in(page, server)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the worker that shows them is active
        page.get_by_role("link", name="Settings").click()
        reminders = page.get_by_role("region", name="Reminders")
        turn_on = reminders.get_by_role("button", name="Turn on browser notifications")
        if turned_on:
            turn_on.click()
            expect(reminders.get_by_role("button", name="Turn off browser notifications")).to_be_focused()
            expect(reminders).to_contain_text("also show as notifications on this device")
        else:
            expect(turn_on).to_be_visible()
        expect(page.locator("#live")).to_have_text("live")
        _remind(run_paa)
        expect(page.get_by_role("alert").filter(has_text="Stretch")).to_be_visible()  # in the page either way
        if turned_on:
            wait_until(lambda: any("Stretch" in title for title, _body in page.evaluate(SHOWN)),
                       what="the system notification")  # fmt: skip
            assert len([title for title, _body in page.evaluate(SHOWN) if "Stretch" in title]) == 1
        else:
            assert page.evaluate(SHOWN) == []
    finally:
        context.close()
