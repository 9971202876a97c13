"""`paa auth token`: create (shown once), list, revoke; a token works against the API until revoked."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from paa.api.app import create_app
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD
from tests.support.runtime import runtime_for


def _register(cli, stdin, name: str, password: str) -> None:
    stdin(password + "\n")
    assert cli("auth", "register", name, "--password-stdin").code == 0


def _habits(token: str) -> int:
    with runtime_for(serves_callers=True) as runtime, TestClient(create_app(runtime)) as http:
        return http.get("/api/v1/habits", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_is_shown_once_works_and_stops_when_revoked(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    made = cli("auth", "token", "create", "--name", "phone", "--scope", "read,write")
    assert made.code == 0, made.err
    token = made.out.strip()
    assert token.startswith("paa_t_") and "\n" not in token
    assert "shown only now" in made.err

    listed = json.loads(cli("auth", "token", "list", "--json").out)
    assert [(item["name"], item["scopes"]) for item in listed] == [("phone", ["read", "write"])]
    assert token not in cli("auth", "token", "list").out

    assert _habits(token) == 200
    assert cli("auth", "token", "revoke", str(listed[0]["id"])).code == 0
    assert _habits(token) == 401
    assert json.loads(cli("auth", "token", "list", "--json").out) == []


def test_another_users_token_cannot_be_revoked(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    alices = json.loads(cli("auth", "token", "create", "--name", "phone", "--json").out)
    _register(cli, stdin, "bob", BOB_PASSWORD)
    refused = cli("--user", "bob", "auth", "token", "revoke", str(alices["id"]))
    assert refused.code == 4, refused.out + refused.err
    assert _habits(alices["token"]) == 200


def test_an_unknown_scope_is_a_clear_error(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    done = cli("auth", "token", "create", "--name", "x", "--scope", "admin")
    assert done.code == 3
    assert "unknown scope admin" in done.err
