"""Liveness and readiness, for a supervisor or a load balancer (no authentication, no data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from paa.api.caller import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers and is migrated")
def readyz(runtime: RuntimeDep) -> dict[str, Any]:
    from paa.db.errors import storage_failure

    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # a 503 problem, whatever the engine raised
        raise storage_failure(exc, "the database does not answer") from None
    return {"status": "ready"}
