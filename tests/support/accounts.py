"""Passwords and hashing costs shared by the account tests."""

from __future__ import annotations

ALICE_PASSWORD = "correct horse battery staple"
BOB_PASSWORD = "plum-violin-harbour-77"
