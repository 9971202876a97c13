"""The migration revisions this version of paa knows, oldest first.

Kept apart from the Alembic scripts so that opening a current database never imports Alembic;
a test checks that this list matches the scripts in migrations/versions.
"""

REVISIONS: tuple[str, ...] = (
    "0001_initial",
    "0002_checkin_prompts",
    "0003_reminders",
    "0004_memory",
    "0005_auth",
    "0006_events",
    "0007_sealed",
    "0008_pg_words",
    "0009_imports",
    "0010_attachments",
    "0011_recall",
    "0012_idempotency",
    "0013_shared_vectors",
    "0014_bigint_ids",
    "0015_waiting_memories",
)
HEAD = REVISIONS[-1]
