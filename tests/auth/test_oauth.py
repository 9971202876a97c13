"""`paa auth login --github/--google`: the device flow against a local fake authorization server.

paa asks only the providers' real https endpoints; the fake answers them through the `http` parameter of the
oauth functions, and through `paa.cli.auth.provider_http` for the CLI (tests/support/fake_oauth.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paa.config import Settings
from paa.core.accounts import oauth
from paa.errors import AuthError, ConfigError
from tests.support.accounts import BOB_PASSWORD
from tests.support.fake_oauth import ACCESS_TOKEN, DEVICE_CODE, FakeOAuth, stand_in

SETTINGS = Settings(oauth_github_client_id="paa-test-client")


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause of the polling loop, recorded instead of waited for."""
    pauses: list[float] = []
    monkeypatch.setattr("paa.core.accounts.oauth.time.sleep", pauses.append)
    return pauses


@pytest.fixture
def github(fake_oauth: FakeOAuth, monkeypatch: pytest.MonkeyPatch) -> FakeOAuth:
    """The fake standing in for GitHub, and paa's client id with it (an install-wide setting)."""
    monkeypatch.setenv("PAA_OAUTH_GITHUB_CLIENT_ID", "paa-test-client")
    return stand_in(monkeypatch, fake_oauth)


def test_device_flow_polls_slows_down_and_reads_the_identity(github: FakeOAuth, slept: list[float]) -> None:
    provider = oauth.provider_for("github", SETTINGS)
    http = github.transport()
    device = oauth.start_device_flow(provider, http=http)
    assert (device.user_code, device.interval) == ("WDJB-MJHT", 1)
    assert DEVICE_CODE not in repr(device)
    identity = oauth.wait_for_identity(provider, device, http=http)
    assert slept == [1, 1, 6]  # pending, then slow_down adds 5 seconds to every later poll
    assert all(form["_accept"] == "application/json" for form in github.form("/token"))
    assert (identity.subject, identity.login) == ("4242", "octo-alice")
    assert (identity.email, identity.email_verified) == ("alice@example.org", True)  # the primary, verified one


@pytest.mark.parametrize(
    ("step", "words"),
    [("access_denied", "the GitHub sign-in was declined"), ("expired_token", "the GitHub sign-in expired before")],
)
def test_a_declined_or_expired_code_fails(github: FakeOAuth, slept: list[float], step: str, words: str) -> None:
    github.token_script = ["authorization_pending", step]
    provider, http = oauth.provider_for("github", SETTINGS), github.transport()
    with pytest.raises(oauth.DeviceLoginEnded, match=words) as ended:
        oauth.wait_for_identity(provider, oauth.start_device_flow(provider, http=http), http=http)
    assert ended.value.hint == "start the sign-in again" and isinstance(ended.value, AuthError)


def test_one_step_of_a_device_login_is_pending_then_the_identity(github: FakeOAuth) -> None:
    """What the browser app's poll asks: once per request, the page waiting in between."""
    github.token_script = ["slow_down", "ok"]
    provider, http = oauth.provider_for("github", SETTINGS), github.transport()
    device = oauth.start_device_flow(provider, http=http)
    pending = oauth.device_login_step(provider, device.device_code, device.interval, http=http)
    assert (pending.identity, pending.interval) == (None, device.interval + 5)
    approved = oauth.device_login_step(provider, device.device_code, pending.interval, http=http)
    assert approved.identity is not None
    assert (approved.identity.subject, approved.identity.login) == ("4242", "octo-alice")


def test_polling_stops_when_the_code_runs_out(github: FakeOAuth, slept: list[float]) -> None:
    github.token_script = ["authorization_pending"] * 20
    github.expires_in = 8
    provider, http = oauth.provider_for("github", SETTINGS), github.transport()
    device = oauth.start_device_flow(provider, http=http)
    with pytest.raises(oauth.DeviceLoginEnded, match="the GitHub sign-in expired before it was approved"):
        oauth.wait_for_identity(provider, device, http=http)
    assert sum(slept) == device.expires_in


def test_endpoints_are_the_real_https_ones_and_a_client_id_is_needed() -> None:
    provider = oauth.provider_for("github", SETTINGS)
    assert provider.device_url == "https://github.com/login/device/code"
    assert provider.userinfo_url == "https://api.github.com/user" and provider.client_id == "paa-test-client"
    with pytest.raises(ConfigError, match="no OAuth client id"):
        oauth.provider_for("github", Settings())
    with pytest.raises(AuthError, match="https"):
        oauth.https_transport("POST", "http://evil.example.org/token", {}, b"")


def test_the_client_id_can_come_from_config_toml(cli, github: FakeOAuth, slept, monkeypatch) -> None:
    monkeypatch.delenv("PAA_OAUTH_GITHUB_CLIENT_ID")
    assert cli("config", "set", "oauth.github.client_id", "paa-test-client").code == 0
    done = cli("auth", "login", "--github")
    assert done.code == 0, done.err
    assert github.form("/device/code")[0]["client_id"] == "paa-test-client"


def test_cli_login_creates_an_account_then_logs_it_in_again(
    cli, github: FakeOAuth, slept: list[float], paa_home: Path
) -> None:
    done = cli("auth", "login", "--github")
    assert done.code == 0, done.err
    assert "WDJB-MJHT" in done.out and "https://github.com/login/device " in done.out
    assert github.reached[:2] == ["https://github.com/login/device/code", "https://github.com/login/oauth/access_token"]
    assert "Created the account octo-alice for your GitHub identity and logged in. You are an admin." in done.out
    me = json.loads(cli("auth", "whoami", "--json").out)
    assert me["user"]["username"] == "octo-alice" and me["user"]["email"] == "alice@example.org"
    assert me["user"]["identities"] == ["github"] and me["user"]["has_password"] is False
    assert cli("auth", "logout").code == 0
    github.token_script = ["ok"]
    again = cli("auth", "login", "--github")
    assert again.code == 0 and "Logged in as octo-alice with GitHub." in again.out
    stored = b"".join(path.read_bytes() for path in paa_home.iterdir() if path.is_file())
    assert ACCESS_TOKEN.encode() not in stored and ACCESS_TOKEN not in done.out + again.out  # only the identity is kept


def test_cli_login_links_the_identity_to_the_logged_in_account(cli, stdin, github: FakeOAuth, slept) -> None:
    stdin(BOB_PASSWORD + "\n")
    assert cli("auth", "register", "bob", "--password-stdin").code == 0
    stdin(BOB_PASSWORD + "\n")  # linking asks for the account's password
    done = cli("auth", "login", "--github", "--password-stdin")
    assert done.code == 0 and "Linked your GitHub identity to bob and logged in." in done.out
    assert "linking it to bob" in done.out
    cli("auth", "logout")
    github.token_script = ["ok"]
    assert "Logged in as bob with GitHub." in cli("auth", "login", "--github").out


def test_an_account_with_the_same_email_is_never_taken_over(cli, stdin, github: FakeOAuth, slept) -> None:
    stdin(BOB_PASSWORD + "\n")
    assert cli("auth", "register", "bob", "--email", "alice@example.org", "--password-stdin").code == 0
    cli("auth", "logout")
    done = cli("auth", "login", "--github")
    assert done.code == 8 and "not linked to it" in done.err and "log in to that account first" in done.err


def test_google_sends_its_client_secret_and_uses_sub(
    cli,
    fake_oauth: FakeOAuth,
    slept,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAA_OAUTH_GOOGLE_CLIENT_ID", "paa-test-client")
    monkeypatch.setenv("PAA_OAUTH_GOOGLE_CLIENT_SECRET", "google-installed-app-secret")
    stand_in(monkeypatch, fake_oauth)
    fake_oauth.user = {"sub": "10769150350006150715113082367", "email": "ann@example.org", "email_verified": True,
                       "name": "Ann"}  # fmt: skip
    done = cli("auth", "login", "--google")
    assert done.code == 0, done.err
    assert "Created the account ann for your Google identity" in done.out
    assert fake_oauth.form("/device/code")[0]["client_secret"] == "google-installed-app-secret"
    assert fake_oauth.form("/device/code")[0]["scope"] == "openid email profile"
    assert fake_oauth.reached[-1] == "https://openidconnect.googleapis.com/v1/userinfo"


def test_cli_without_a_client_id_says_what_to_set(cli) -> None:
    done = cli("auth", "login", "--github")
    assert done.code == 7 and "PAA_OAUTH_GITHUB_CLIENT_ID" in done.err
