"""`/memory`: `paa memory` over HTTP: what the assistant remembers, listed, searched, added and forgotten."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from paa.api import schemas
from paa.api.caller import CallerApi
from paa.api.schemas import documented

router = APIRouter(prefix="/memory", tags=["memory"])

KIND_DESCRIPTION = "Only this kind: fact, message or checkin."


class RememberRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=20_000, examples=["I'm training for a half marathon in March"])


@router.get("", summary="Memories, newest first", **documented(list[schemas.Memory]))
def list_memories(
    api: CallerApi,
    kind: str | None = Query(None, max_length=20, description=KIND_DESCRIPTION),
    limit: int = Query(50, ge=1, le=10_000),
) -> list[dict[str, Any]]:
    from paa.ai.memory import list_memories as listed
    from paa.ai.memory import memory_json

    with api.read() as ctx:
        return [memory_json(row) for row in listed(ctx, kind=kind, limit=limit)]


@router.get("/search", summary="Search memories by words and by meaning", **documented(list[schemas.MemoryHit]))
def search(
    api: CallerApi,
    q: str = Query(max_length=1000, description="What to look for, in your own words."),
    kind: list[str] | None = Query(None, description=KIND_DESCRIPTION + " Repeatable."),
    limit: int = Query(8, ge=1, le=100),
) -> list[dict[str, Any]]:
    from paa.ai.history import with_sources
    from paa.ai.memory import SEARCH_EMBED_BUDGET
    from paa.ai.memory import search as find

    with api.read() as ctx:  # (recent memories become findable by meaning too)
        hits = find(ctx, q, limit=limit, kinds=kind, embed_first=SEARCH_EMBED_BUDGET)
        return [hit.to_json() for hit in with_sources(ctx, hits)]


@router.post("", status_code=201, summary="Remember a fact", **documented(schemas.Memory, 201))
def remember(body: RememberRequest, api: CallerApi) -> dict[str, Any]:
    from paa.ai.memory import memory_json
    from paa.ai.memory import remember as keep

    with api.write() as ctx:
        return memory_json(keep(ctx, body.text))


@router.delete("/{memory_id}", status_code=204, summary="Forget a memory for good")
def forget(memory_id: int, api: CallerApi) -> Response:
    from paa.ai.memory import forget as drop

    with api.write() as ctx:
        drop(ctx, memory_id)
    return Response(status_code=204)
