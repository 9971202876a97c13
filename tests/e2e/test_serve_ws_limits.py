"""Issue #15, protection: a real `paa serve` refuses a WebSocket message over its size limit (1 MB, uvicorn's
`ws_max_size`) by closing the socket with 1009 (message too big), and serves on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from paa.cli.serve import WS_MAX_BYTES
from tests.e2e.test_serve import register, serving, ws_url
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = pytest.mark.e2e


def test_a_websocket_message_over_the_limit_closes_the_socket(paa_home: Path) -> None:
    with serving() as server:
        token = register(server)
        with connect(ws_url(server)) as client:
            client.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(client.recv(timeout=GIVE_UP_SECONDS))["type"] == "ready"
            huge = json.dumps({"type": "chat:typing", "data": {"typing": True, "pad": "x" * WS_MAX_BYTES}})
            with pytest.raises(ConnectionClosed) as closed:
                client.send(huge)
                while True:
                    client.recv(timeout=GIVE_UP_SECONDS)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        with connect(ws_url(server)) as again:  # the server itself serves on
            again.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(again.recv(timeout=GIVE_UP_SECONDS))["type"] == "ready"
