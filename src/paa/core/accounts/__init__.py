"""Accounts and security: users, sessions, passwords, identities, roles, tokens and secrets."""
