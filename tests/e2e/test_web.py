"""The browser app in a real headless Chromium (Debian's, driven by Playwright) against a real `paa serve`: sign in,
log a habit by tapping it, see a `paa habit log` from a terminal appear without a reload, check in."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_serve import PASSWORD, Server, register, serving
from tests.support.clock import FIXED_NOW
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
STEP_MS = 10_000  # the longest any one thing may take to appear on the page


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright_api.expect.set_options(timeout=STEP_MS)
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def server(paa_home: Path) -> Iterator[Server]:
    with serving() as running:
        yield running


@contextmanager
def opened_page(chromium: Any, width: int = 360, height: int = 740) -> Iterator[Any]:
    """A fresh browser context (no cookies) and its page, at a phone's size unless told."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if _problem(message) else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    # A script error or a CSP refusal shows up here: the app must run clean under its own policy.
    assert problems == [], problems


@pytest.fixture
def page(chromium: Any, server: Server) -> Iterator[Any]:
    with opened_page(chromium) as opened:
        yield opened


def _problem(message: Any) -> bool:
    """A console error other than the browser's note on an HTTP error answer (the app handles those itself: a
    first visit's 401 from /auth/browser/refresh means "sign in")."""
    return bool(message.type == "error" and not message.text.startswith("Failed to load resource"))


@pytest.fixture
def alice(server: Server, run_paa: Callable[..., subprocess.CompletedProcess[str]]) -> str:
    """Alice's account, logged in for the terminal too, with two habits."""
    register(server)
    login = run_paa("auth", "login", "alice", "--password-stdin", input=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    for habit in (["Stretch"], ["Drink water", "--target", "8", "--unit", "glasses"]):
        added = run_paa("habit", "add", *habit)
        assert added.returncode == 0, added.stderr
    return "alice"


def sign_in(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()


def today_state(run_paa: Callable[..., subprocess.CompletedProcess[str]], name: str) -> dict[str, Any]:
    shown = run_paa("habit", "today", "--json")
    assert shown.returncode == 0, shown.stderr
    return next(habit["today"] for habit in json.loads(shown.stdout)["habits"] if habit["name"] == name)


def test_sign_in_log_by_tap_and_see_a_terminal_log_live(
    page: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    from playwright.sync_api import expect

    answer = httpx.get(server.url + "/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    sign_in(page, server)
    stretch = page.locator('article[data-habit="Stretch"]')
    stretch.get_by_role("button", name="Done: Stretch").focus()
    page.keyboard.press("Enter")  # the keyboard works where a tap does
    expect(stretch.locator(".state")).to_have_text("done")
    expect(stretch.get_by_role("button", name="Undo Stretch")).to_be_focused()  # the focus stays on the habit
    assert today_state(run_paa, "Stretch")["state"] == "done"  # a real log, as the terminal sees it

    # The session: the access token only in memory, the refresh token in a cookie no script can read.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert "paa_refresh" not in page.evaluate("document.cookie")
    cookie = next(c for c in page.context.cookies() if c["name"] == "paa_refresh")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")

    page.evaluate("window.notReloaded = true")
    expect(page.locator("#live")).to_have_text("live")
    logged = run_paa("habit", "log", "Drink water", "3")
    assert logged.returncode == 0, logged.stderr
    water = page.locator('article[data-habit="Drink water"]')
    expect(water).to_contain_text("3 of 8 glasses")
    assert page.evaluate("window.notReloaded") is True  # it came over the WebSocket, not a reload

    # An amount typed in the page, then undone.
    water.get_by_label("Amount of Drink water in glasses").fill("2")
    water.get_by_role("button", name="Add to Drink water").click()
    expect(water).to_contain_text("5 of 8 glasses")
    water.get_by_role("button", name="Undo Drink water").click()
    expect(water).to_contain_text("0 of 8 glasses")
    assert today_state(run_paa, "Drink water")["value"] is None

    # A reload keeps the sign-in (the cookie); signing out ends it.
    page.reload()
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    assert not any(c["name"] == "paa_refresh" for c in page.context.cookies())


def test_a_live_update_while_typing_an_amount_keeps_the_text_and_the_selection(
    page: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """A change from elsewhere redraws the list while an amount is being typed: the field is the same one after, with
    its selection, so the next key replaces the selected text (it used to land beside a copy of it: "21", not "2")."""
    from playwright.sync_api import expect

    sign_in(page, server)
    expect(page.locator("#live")).to_have_text("live")
    water = page.locator('article[data-habit="Drink water"]')
    amount = water.get_by_label("Amount of Drink water in glasses")
    amount.focus()
    page.keyboard.press("ControlOrMeta+a")  # the "1" it shows, selected, to be typed over
    logged = run_paa("habit", "log", "Drink water", "3")  # from the terminal: the page redraws its list
    assert logged.returncode == 0, logged.stderr
    expect(water).to_contain_text("3 of 8 glasses")
    expect(amount).to_be_focused()
    page.keyboard.type("2")
    expect(amount).to_have_value("2")
    page.keyboard.press("Enter")
    expect(water).to_contain_text("5 of 8 glasses")
    assert today_state(run_paa, "Drink water")["value"] == 5


def test_check_in_and_answer_the_follow_up(
    fake_anthropic: FakeAnthropic,  # first: the server started for the page reads its address
    page: Any,
    server: Server,
    alice: str,
    run_paa: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    from playwright.sync_api import expect

    reading = {"sentiment_score": 0.5, "sentiment_label": "positive", "summary": "A calm day with a long walk.",
               "follow_up": "What made the walk feel good?"}  # fmt: skip
    fake_anthropic.push(reply(json.dumps(reading)), reply("Glad to hear it."))
    sign_in(page, server)
    page.get_by_role("link", name="Check-in").click()
    page.get_by_role("heading", name="Check-in").wait_for()
    page.get_by_role("group", name="Mood").get_by_label("4").check()
    page.get_by_label("How was your day?").fill("Calm, a long walk")
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input, textarea, select')]
             .filter((el) => !el.labels.length && !el.getAttribute('aria-label')).map((el) => el.outerHTML)"""
    )
    assert unlabelled == []  # every control has a label a screen reader reads
    page.get_by_role("button", name="Check in").click()
    saved = page.get_by_role("region", name="Today's check-in")
    expect(saved).to_contain_text("Calm, a long walk")
    shown = run_paa("checkin", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    checkin = json.loads(shown.stdout)
    assert (checkin["mood"], checkin["answers"][0]["answer"]) == (4, "Calm, a long walk")

    # The model reads the check-in after the answer; its question arrives live, and the chat answers it.
    expect(saved).to_contain_text("What made the walk feel good?", timeout=GIVE_UP_SECONDS * 1000)
    saved.get_by_role("link", name="Answer in Chat").click()
    log = page.get_by_role("list", name="Conversation")
    expect(log).to_contain_text("What made the walk feel good?")
    page.get_by_label("Message").fill("The quiet")
    page.keyboard.press("Enter")
    expect(log).to_contain_text("Glad to hear it.", timeout=GIVE_UP_SECONDS * 1000)
    sent = fake_anthropic.message_requests[-1].body["messages"]
    assert sent[-2]["role"] == "assistant" and "What made the walk feel good?" in json.dumps(sent[-2])


def test_chat_streams_and_a_destructive_tool_waits_for_yes(
    paa_home: Path,
    fake_anthropic: FakeAnthropic,
    chromium: Any,
    run_paa: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    from playwright.sync_api import expect

    fake_anthropic.push(
        reply("Shall I delete **Stretch** and its logs?", chunks=3, tools=[("delete_habit", {"habit": "Stretch"})]),
        reply("Deleted Stretch."),
    )
    with serving() as server, opened_page(chromium, width=1280, height=800) as page:  # a desktop
        register(server)
        login = run_paa("auth", "login", "alice", "--password-stdin", input=PASSWORD + "\n")
        assert login.returncode == 0, login.stderr
        assert run_paa("habit", "add", "Stretch").returncode == 0
        sign_in(page, server)
        page.get_by_role("link", name="Chat").click()
        page.get_by_label("Message").fill("delete my stretch habit")
        page.keyboard.press("Enter")
        log = page.get_by_role("list", name="Conversation")
        # The server's first chat turn opens the memory index and warms up: it may take a while on a busy machine.
        expect(log).to_contain_text("Shall I delete Stretch and its logs?", timeout=GIVE_UP_SECONDS * 1000)
        expect(log.locator("strong")).to_have_text("Stretch")  # the reply's Markdown, drawn once it is complete
        confirm = page.get_by_role("group", name="Confirm")
        expect(confirm).to_contain_text("Stretch")
        assert "Stretch" in run_paa("habit", "list").stdout  # nothing happens before the yes
        confirm.get_by_role("button", name="Yes, do it").click()
        expect(log).to_contain_text("Deleted Stretch.")
        listed = run_paa("habit", "list", "--json")
        assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stdout


def test_a_reminder_appears_as_a_notification(
    page: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    from playwright.sync_api import expect

    assert run_paa("habit", "edit", "Stretch", "--remind", "18:00").returncode == 0
    sign_in(page, server)
    expect(page.locator("#live")).to_have_text("live")
    at_six = (FIXED_NOW + timedelta(hours=6, seconds=30)).isoformat()  # the daemon's one-shot pass at 18:00
    due = run_paa("remind", "run-due", "--json", env={"PAA_NOW": at_six, "PAA_NOTIFY_CHANNELS": "log"})
    assert due.returncode == 0, due.stderr
    notice = page.get_by_role("alert").filter(has_text="Stretch")
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_have_count(0)


def test_analytics_shows_each_habit_and_follows_changes(
    page: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    from playwright.sync_api import expect

    assert run_paa("habit", "log", "Stretch", "--date", "yesterday").returncode == 0
    sign_in(page, server)
    page.get_by_role("link", name="Analytics").click()
    habits = page.get_by_role("region", name="Habits")
    expect(habits).to_contain_text("Stretch")
    expect(page.get_by_role("img", name="Daily completion over")).to_be_visible()
    page.get_by_label("Period").select_option("7d")
    expect(habits.locator("li").filter(has_text="Stretch")).to_contain_text("streak 1")
    assert run_paa("habit", "log", "Stretch").returncode == 0  # from a terminal: the page follows
    expect(habits.locator("li").filter(has_text="Stretch")).to_contain_text("streak 2")


def test_add_a_habit(
    page: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server)
    page.get_by_text("Add a habit").click()
    page.get_by_label("Name").fill("Read")
    page.get_by_label("Unit (for an amount)").fill("pages")
    page.get_by_label("Daily target").fill("20")
    page.get_by_label("Reminders").fill("25:00")
    page.get_by_role("button", name="Add habit").click()
    expect(page.get_by_role("alert")).to_contain_text("25:00")  # core's one-line refusal, shown by the form
    page.get_by_label("Reminders").fill("21:00")
    page.get_by_role("button", name="Add habit").click()
    expect(page.locator('article[data-habit="Read"]')).to_contain_text("0 of 20 pages")
    listed = json.loads(run_paa("habit", "list", "--json").stdout)
    read = next(habit for habit in listed if habit["name"] == "Read")
    assert (read["unit"], read["target"], read["reminders"]) == ("pages", 20.0, ["21:00"])


def test_two_tabs_loading_at_once_stay_signed_in(page: Any, server: Server, alice: str) -> None:
    from playwright.sync_api import expect

    sign_in(page, server)
    other = page.context.new_page()
    # Both spend the refresh cookie as they load; taking turns (a Web Lock), neither looks like a replayed token.
    page.evaluate("location.reload()")
    other.goto(server.url + "/")
    for tab in (page, other):
        tab.get_by_role("heading", name="Today", exact=True).wait_for()
    page.reload()  # the cookie both left behind still works
    page.get_by_role("heading", name="Today", exact=True).wait_for()
    expect(page.locator('article[data-habit="Stretch"]')).to_be_visible()


def test_the_app_is_installable(chromium: Any, server: Server, tmp_path: Path) -> None:
    """Chromium finds nothing against installing it (its manifest and icons), asked in a profile of its own: a
    Playwright context is incognito, where nothing installs."""
    profile = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=LAUNCH_ARGS
    )
    try:
        page = profile.new_page()
        page.goto(server.url + "/")
        page.get_by_role("button", name="Sign in").wait_for()
        cdp = profile.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and manifest["url"].endswith("/app/manifest.json")
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        profile.close()


def test_an_imported_conversation_shows_who_said_each_message(
    page: Any, server: Server, alice: str, run_paa: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    """Another person's messages (role `other`) were left out and an imported assistant's reply was labelled paa."""
    from playwright.sync_api import expect

    from tests.support.histories import jsonl_lines, write_jsonl

    imported = run_paa("chat", "import", str(write_jsonl(tmp_path / "h.jsonl", jsonl_lines())))
    assert imported.returncode == 0, imported.stderr
    listed = json.loads(run_paa("chat", "history", "--json").stdout)
    trip = next(item["id"] for item in listed if item["title"] == "Planning Lisbon")
    sign_in(page, server)
    page.goto(f"{server.url}/#/chat/{trip}")
    log = page.get_by_role("list", name="Conversation")
    expect(log.locator("li.message")).to_have_count(3)
    expect(log.locator(".who")).to_have_text(["Ann", "Ben", "paa"])
    expect(log.locator("li.message.other")).to_contain_text("Yes, tram 15 from Praça da Figueira.")
