"""Passwords and hashing costs shared by the account tests."""

from __future__ import annotations

CHEAP_ARGON2 = "t=1,m=64,p=1"  # what PAA_ARGON2 once accepted in tests; it is refused now (below the defaults)
ALICE_PASSWORD = "correct horse battery staple"
BOB_PASSWORD = "plum-violin-harbour-77"
