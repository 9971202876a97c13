"""Issue #15, operations: `paa serve --workers 2` runs two uvicorn worker processes built by
`paa.api.main:app_factory`. A write through one reaches a WebSocket held by whichever worker took it (each worker
follows the database's change feed), and SIGTERM stops the whole server cleanly. PAA_REDIS_URL only has to be set:
nothing connects to it yet (sharing rate limits and presence through Redis is issue #17)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.e2e.test_serve import receive_until, register, serving, ws_url
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = pytest.mark.e2e


def test_two_workers_share_the_change_feed_and_stop_together(paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_REDIS_URL", "redis://127.0.0.1:9/0")  # the gate only: nothing listens there
    with serving("--workers", "2") as server:
        token = register(server)
        headers = {"Authorization": f"Bearer {token}"}
        with connect(ws_url(server)) as client:
            client.send(json.dumps({"type": "auth", "token": token}))
            ready = json.loads(client.recv(timeout=GIVE_UP_SECONDS))
            assert ready["type"] == "ready"
            for name in ("Run", "Read", "Write", "Sleep"):  # a new connection each: either worker may take it
                with httpx.Client(headers=headers) as fresh:
                    added = fresh.post(f"{server.url}/api/v1/habits", json={"name": name})
                assert added.status_code == 201, added.text
            ids = [receive_until(client, lambda message: message["type"] == "data:changed")["id"] for _ in range(4)]
        assert ready["last_event_id"] < ids[0] < ids[1] < ids[2] < ids[3]  # every write, in order, none lost
        listed = httpx.get(f"{server.url}/api/v1/habits", headers=headers)
        assert sorted(habit["name"] for habit in listed.json()) == ["Read", "Run", "Sleep", "Write"]
        server.process.send_signal(signal.SIGTERM)
        out, err = server.process.communicate(timeout=GIVE_UP_SECONDS)
    assert server.process.returncode == 0, err
    assert f"Serving paa at {server.url}/api/v1" in out and f"stopped serving {server.url}" in err
    assert not (paa_home / "server.json").exists()
