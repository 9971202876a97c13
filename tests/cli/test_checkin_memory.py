"""A saved or edited check-in becomes searchable by memory at once."""

from __future__ import annotations

import json


def test_checkin_answers_are_found_by_memory_search(cli) -> None:
    saved = cli("checkin", "--mood", "3", "--answer", "Knee pain after the long run", "--answer", "Fixed the bike")
    assert saved.code == 0, saved.err
    hits = json.loads(cli("memory", "search", "knee", "--json").out)
    assert [hit["kind"] for hit in hits] == ["checkin"]
    assert "Knee pain" in hits[0]["content"]

    edited = cli("checkin", "edit", "today", "--answer", "Slept badly", "--answer", "Called a friend")
    assert edited.code == 0, edited.err
    assert json.loads(cli("memory", "search", "knee", "--json").out) == []
    hits = json.loads(cli("memory", "search", "friend", "--json").out)
    assert len(hits) == 1 and "Called a friend" in hits[0]["content"]
