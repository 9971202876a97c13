"""Passwords and hashing costs shared by the account tests."""

from __future__ import annotations

CHEAP_ARGON2 = "t=1,m=64,p=1"  # the real default costs ~0.4 s a hash; these make one take well under 1 ms
ALICE_PASSWORD = "correct horse battery staple"
BOB_PASSWORD = "plum-violin-harbour-77"
