"""Issue #14, item 1: a local server named in the environment vouched for alice's GitHub id, and paa believed it.

The attacker knows alice's public GitHub id (anyone can read it), points paa's provider endpoints at a 20-line
server on 127.0.0.1 that answers `{"id": <alice's id>}`, and runs `paa auth login --github`. paa must only ever
ask the real provider, over https with a verified certificate, whoever runs the command.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from paa.core.accounts import oauth
from paa.db.models import UserAuth
from paa.errors import PaaError
from tests.support.accounts import ALICE_PASSWORD
from tests.support.fake_oauth import FakeOAuth, stand_in
from tests.support.runtime import open_auth

ALICE_GITHUB_ID = 4242  # public: api.github.com/users/<her login> shows it to anyone
BOB_GITHUB_ID = 9001


def _alice_with_github(cli, stdin) -> None:
    """alice has a password and her GitHub identity linked; she is an admin."""
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0
    assert cli("auth", "logout").code == 0
    with open_auth(write=True) as actx:
        from paa.core.accounts.lookups import user_named

        alice = user_named(actx.session, "alice")
        assert alice is not None and alice.id is not None
        actx.session.add(UserAuth(user_id=alice.id, kind="oauth", provider="github", subject=str(ALICE_GITHUB_ID),
                                  created_at=actx.now()))  # fmt: skip


def _whoami(cli) -> str | None:
    done = cli("auth", "whoami", "--json")
    return json.loads(done.out)["user"]["username"] if done.code == 0 else None


def test_a_server_named_in_the_environment_cannot_vouch_for_alice(
    cli, stdin, slept, oauth_server: Callable[[], FakeOAuth], monkeypatch: pytest.MonkeyPatch
) -> None:
    _alice_with_github(cli, stdin)
    attacker = oauth_server()  # answers {"id": 4242} to anyone
    for name, value in attacker.env("github").items():
        monkeypatch.setenv(name, value)
    github = stand_in(monkeypatch, oauth_server())  # the real GitHub, where the attacker can only be himself
    github.user = {"id": BOB_GITHUB_ID, "login": "mallory", "email": None}

    done = cli("auth", "login", "--github")

    assert "as alice" not in done.out and _whoami(cli) != "alice"
    assert attacker.requests == []  # the attacker's endpoints were never even asked
    assert github.reached[0] == "https://github.com/login/device/code"
    assert "Created the account mallory" in done.out  # the identity the real provider vouched for: his own


def test_provider_endpoints_are_the_real_ones_whatever_the_environment(
    oauth_server: Callable[[], FakeOAuth], monkeypatch: pytest.MonkeyPatch
) -> None:
    attacker = oauth_server()
    for name, value in {**attacker.env("github"), **attacker.env("google")}.items():
        monkeypatch.setenv(name, value)
    from tests.support.runtime import runtime_for

    with runtime_for() as runtime:
        for name in ("github", "google"):
            provider = oauth.provider_for(name, runtime.loaded.settings)
            urls = [provider.device_url, provider.token_url, provider.userinfo_url, provider.emails_url]
            assert all(url is None or (url.startswith("https://") and "127.0.0.1" not in url) for url in urls)
    assert provider.client_id == "paa-test-client"  # the client id is a setting, and names no endpoint


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/user", "http://api.github.com/user", "ftp://github.com/x"])
def test_the_transport_speaks_https_only(url: str) -> None:
    with pytest.raises(PaaError, match="https"):
        oauth.https_transport("GET", url, {}, None)


def test_the_verification_page_must_be_https(oauth_server: Callable[[], FakeOAuth]) -> None:
    github = oauth_server()
    github.verification_uri = f"{github.url}/device"
    provider = oauth.provider_for("github", _settings(oauth_github_client_id="paa-test-client"))
    with pytest.raises(PaaError, match="https"):
        oauth.start_device_flow(provider, http=github.transport())


def _settings(**values: Any) -> Any:
    from paa.config import Settings

    return Settings(**values)


# ---- a certificate the attacker made, trusted through SSL_CERT_FILE -------------------------------------------


@contextmanager
def _tls_server(cert: Path, key: Path, answer: dict[str, Any]) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return None

        def do_GET(self) -> None:
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 that no real authority signed."""
    pytest.importorskip("cryptography")
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=36500))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


def test_a_certificate_trusted_only_through_the_environment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what the attacker controls: the environment
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with _tls_server(cert, key, {"id": ALICE_GITHUB_ID}) as port, pytest.raises(PaaError, match="certificate"):
        oauth.https_transport("GET", f"https://localhost:{port}/user", {}, None)
