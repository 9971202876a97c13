"""Your data in and out: backups and restores of the whole database, and one user's export and import."""
