"""Alembic environment for paa: migrations run on the connection paa hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from paa.db import models  # noqa: F401  (registers the tables on the metadata)

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("paa runs its migrations on a connection it provides")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
