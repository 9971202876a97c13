"""The browser app without a connection, in a real headless Chromium against a real `paa serve`: it opens offline
(its service worker) with the last data, a log made offline waits and is sent once when the connection returns, and
a log whose answer was lost after the server had it is sent again with its key and still written once."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import test_web
from tests.e2e.test_serve import Server
from tests.e2e.test_web import STEP_MS, opened_page, sign_in, today_state
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
chromium = test_web.chromium  # the module's Chromium, shared as a fixture
server = test_web.server
alice = test_web.alice


def _history(run_paa: Callable[..., subprocess.CompletedProcess[str]], name: str) -> list[dict[str, Any]]:
    shown = run_paa("habit", "history", name, "--json")
    assert shown.returncode == 0, shown.stderr
    logs: list[dict[str, Any]] = json.loads(shown.stdout)["logs"]
    return logs


def test_a_log_made_offline_is_sent_once_when_the_connection_returns(
    chromium: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    from playwright.sync_api import expect

    with opened_page(chromium) as page:
        sign_in(page, server)
        expect(page.locator("#live")).to_have_text("live")
        assert page.evaluate("navigator.serviceWorker.ready.then((ready) => Boolean(ready.active))") is True
        page.reload()  # now under the service worker, which keeps the app's files as they load
        expect(page.locator('article[data-habit="Stretch"]')).to_be_visible()
        expect(page.locator("#live")).to_have_text("live")

        page.context.set_offline(True)
        stretch = page.locator('article[data-habit="Stretch"]')
        stretch.get_by_role("button", name="Done: Stretch").click()
        expect(page.get_by_role("status").filter(has_text="Logged Stretch")).to_contain_text(
            "to be sent when the connection returns"
        )
        expect(stretch).to_contain_text("1 waiting to be sent")
        expect(page.locator("#live")).to_contain_text("1 waiting to be sent")
        assert today_state(run_paa, "Stretch")["state"] != "done"  # nothing reached the server

        # Opened again with no connection: the page, its scripts and the last data come from this browser.
        page.reload()
        expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
        expect(page.locator('article[data-habit="Drink water"]')).to_be_visible()
        expect(page.locator("#live")).to_have_text("offline · 1 waiting to be sent")
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0  # the queue is in IndexedDB

        page.context.set_offline(False)
        expect(page.locator("#live")).to_have_text("live", timeout=3 * STEP_MS)
        expect(stretch.locator(".state")).to_have_text("done")
        logs = _history(run_paa, "Stretch")
        assert [(log["day"], log["status"]) for log in logs] == [("2026-11-26", "done")]


def test_a_log_whose_answer_was_lost_is_sent_again_and_written_once(
    chromium: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """The server had the request, but its answer never arrived: the page cannot tell that from "not sent", so it
    sends it again, with the same Idempotency-Key, and the server answers as the first time."""
    from playwright.sync_api import expect

    # Routing sees every request only without a service worker in the way.
    context = chromium.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
    context.set_default_timeout(STEP_MS)
    try:
        page = context.new_page()
        sign_in(page, server)
        expect(page.locator("#live")).to_have_text("live")
        keys: list[str] = []  # the key of every attempt to log, as the page sent it

        def lose_the_first_answer(route: Any) -> None:
            keys.append(route.request.headers.get("idempotency-key", ""))
            if len(keys) > 1:
                route.continue_()
                return
            route.fetch()  # the server gets it and writes...
            route.abort("internetdisconnected")  # ...but the page never hears back

        page.route("**/api/v1/habits/*/log", lose_the_first_answer)
        water = page.locator('article[data-habit="Drink water"]')
        water.get_by_label("Amount of Drink water in glasses").fill("2")
        water.get_by_role("button", name="Add to Drink water").click()
        expect(water).to_contain_text("1 waiting to be sent")
        assert today_state(run_paa, "Drink water")["value"] == 2  # it was written

        page.evaluate("window.dispatchEvent(new Event('online'))")  # what the browser says when it is back
        expect(page.locator("#live")).to_have_text("live")
        expect(water).to_contain_text("2 of 8 glasses")
        expect(water).not_to_contain_text("waiting to be sent")
        assert len(keys) >= 2 and keys[0] and set(keys) == {keys[0]}  # sent again, with the same key
        assert today_state(run_paa, "Drink water")["value"] == 2  # and written once
        assert len(_history(run_paa, "Drink water")) == 1
    finally:
        context.close()


_KEPT = """async () => {
  const db = await new Promise((resolve, reject) => {
    const asked = indexedDB.open("paa", 1);
    asked.onsuccess = () => resolve(asked.result);
    asked.onerror = () => reject(asked.error);
  });
  const count = (name) => new Promise((resolve) => {
    const asked = db.transaction(name, "readonly").objectStore(name).count();
    asked.onsuccess = () => resolve(asked.result);
  });
  const found = { data: await count("data"), queue: await count("queue"), meta: await count("meta") };
  db.close();
  return found;
}"""


def test_signing_out_leaves_nothing_of_the_user_in_the_browser(chromium: Any, server: Server, alice: str) -> None:
    """docs/security.md: what the app keeps for working offline is the signed-in user's and leaves at sign-out."""
    from playwright.sync_api import expect

    with opened_page(chromium) as page:
        sign_in(page, server)
        expect(page.locator('article[data-habit="Stretch"]')).to_be_visible()
        expect(page.locator("#live")).to_have_text("live")
        # The last data and who signed in, for opening offline: the page writes them as it draws (not awaited by
        # the drawing, so a loaded machine shows the one before the other).
        def both_kept() -> bool:
            kept = page.evaluate(_KEPT)
            return bool(kept["data"] > 0 and kept["meta"] > 0)

        wait_until(both_kept, what="the offline copy and the signed-in user in IndexedDB",
                   describe=lambda: str(page.evaluate(_KEPT)))  # fmt: skip
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0

        page.locator("#sign-out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert page.evaluate(_KEPT) == {"data": 0, "queue": 0, "meta": 0}


def test_background_sync_sends_the_queue_with_no_page_open(
    chromium: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """A log queued offline registers a Background Sync; the page is closed before the connection returns, and the
    service worker sends the log itself (with the key the page made), once."""
    from playwright.sync_api import expect

    with opened_page(chromium) as page:
        sign_in(page, server)
        assert page.evaluate("navigator.serviceWorker.ready.then((ready) => Boolean(ready.active))") is True
        page.reload()  # under the service worker
        stretch = page.locator('article[data-habit="Stretch"]')
        expect(stretch).to_be_visible()
        # A page of the origin that runs none of the app: it keeps the browser context (and a target for the
        # browser's tools) once the app's page is closed.
        other = page.context.new_page()
        other.goto(server.url + "/app/manifest.json")

        page.context.set_offline(True)
        stretch.get_by_role("button", name="Done: Stretch").click()
        expect(stretch).to_contain_text("1 waiting to be sent")
        tags = "navigator.serviceWorker.ready.then((ready) => ready.sync.getTags())"
        wait_until(lambda: page.evaluate(tags) == ["paa-queue"], what="the sync registered")
        page.close()  # no page of the app is open when the connection returns

        assert today_state(run_paa, "Stretch")["state"] != "done"
        other.context.set_offline(False)
        wait_until(lambda: today_state(run_paa, "Stretch")["state"] == "done", what="the worker to send the log")
        wait_until(lambda: other.evaluate(tags) == [], what="the sync to finish")
        logs = _history(run_paa, "Stretch")
        assert [(log["day"], log["status"]) for log in logs] == [("2026-11-26", "done")]
        queued = """new Promise((done) => { const opened = indexedDB.open("paa", 1); opened.onsuccess = () =>
          { const ask = opened.result.transaction("queue").objectStore("queue").count(); ask.onsuccess = () =>
            done(ask.result); }; })"""
        assert other.evaluate(queued) == 0  # the worker dropped what it sent
        kept = """new Promise((done) => { const opened = indexedDB.open("paa", 1); opened.onsuccess = () => {
          const stores = ["data", "queue", "meta"]; const all = []; const read = opened.result.transaction(stores);
          for (const name of stores) read.objectStore(name).getAll().onsuccess = (got) => all.push(got.target.result);
          read.oncomplete = () => done(JSON.stringify(all)); }; })"""
        assert "eyJ" not in other.evaluate(kept)  # no token (a JWT) was kept by the worker or the page


def test_an_undo_made_offline_is_sent_once_when_the_connection_returns(
    chromium: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    from playwright.sync_api import expect

    assert run_paa("habit", "log", "Stretch").returncode == 0
    with opened_page(chromium) as page:
        sign_in(page, server)
        assert page.evaluate("navigator.serviceWorker.ready.then((ready) => Boolean(ready.active))") is True
        page.reload()
        stretch = page.locator('article[data-habit="Stretch"]')
        expect(stretch.locator(".state")).to_have_text("done")

        page.context.set_offline(True)
        stretch.get_by_role("button", name="Undo Stretch").click()
        expect(page.get_by_role("status").filter(has_text="Undid Stretch")).to_contain_text(
            "to be sent when the connection returns"
        )
        expect(page.locator("#live")).to_contain_text("1 waiting to be sent")
        assert today_state(run_paa, "Stretch")["state"] == "done"  # nothing reached the server

        page.context.set_offline(False)
        expect(page.locator("#live")).to_have_text("live", timeout=3 * STEP_MS)
        expect(stretch.locator(".state")).not_to_have_text("done")
        assert _history(run_paa, "Stretch") == []
        expect(page.get_by_role("alert")).to_have_count(0)  # sent once: no "Not sent" for a second try
