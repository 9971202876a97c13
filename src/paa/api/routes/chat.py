"""`/chat`: the CLI's `paa chat` over HTTP. A message is answered as Server-Sent Events (`Accept:
text/event-stream`) or as one JSON answer, by the same turn (paa.api.chat_stream) the WebSocket streams. A tool that
deletes or removes data is never run silently: the answer carries a `confirmation`, and the client answers it with
`POST /chat/confirm/{id}`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response, StreamingResponse

from paa.ai.chat import MESSAGE_MAX_CHARS
from paa.api import chat_stream, schemas
from paa.api.caller import CallerApi
from paa.api.schemas import documented
from paa.core.attachments import IMAGE_TYPES, LIMITS, MESSAGE_MAX_FILES, READ_MAX_BYTES
from paa.errors import InvalidInput, PaaError

router = APIRouter(prefix="/chat", tags=["chat"])

SSE = "text/event-stream"
STREAM_DOC = (
    "With `Accept: text/event-stream`, Server-Sent Events: `delta` {text}, `notice` {text}, `tool` (started, then "
    "finished with ok and summary), `confirm` (a destructive tool waits: answer with POST /chat/confirm/{id}), then "
    "`done` {conversation_id, message_id, message_ids, usage, model, confirmation} or `error` (a problem document). "
    "Otherwise one JSON answer: reply, conversation_id, tool_calls, confirmation (null when nothing waits)."
)
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": {SSE: {"schema": {"type": "string"}}}, "description": STREAM_DOC},
    404: {"description": "No such conversation (or confirmation) of yours."},
    503: {"description": "No Anthropic API key is configured on the server, or the model is unavailable."},
}


class TokenUsage(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


class PendingConfirmation(BaseModel):
    """A tool that changes or deletes data, waiting for `POST /chat/confirm/{id}`."""

    id: str = Field(description="Opaque; yours only; answered once; expires at `expires_at`.")
    conversation_id: int
    tool: str = Field(examples=["delete_habit"])
    input: dict[str, Any] = Field(examples=[{"habit": "Run"}])
    question: str = Field(examples=["Delete the habit Run (#2) and its 12 logs for good?"])
    expires_at: str


class ToolCallDone(BaseModel):
    call_id: str
    name: str = Field(examples=["log_habit"])
    input: dict[str, Any]
    ok: bool
    summary: str = Field(examples=["Logged Run as done for 2026-11-26."])
    declined: bool


class ChatAnswer(BaseModel):
    """The JSON answer (without `Accept: text/event-stream`)."""

    conversation_id: int | None
    reply: str = Field(description="The reply's text; the rounds around tool calls are separate paragraphs.")
    message_id: int | None = Field(description="The last stored reply.")
    message_ids: list[int] = Field(description="Every message this turn stored, in order.")
    tool_calls: list[ToolCallDone]
    confirmation: PendingConfirmation | None
    notices: list[str]
    usage: TokenUsage | None
    model: str | None
    interrupted: bool
    follow_up: str | None


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        max_length=MESSAGE_MAX_CHARS, examples=["I ran 5 km and drank 2 glasses"],
        description="The words; may be empty when `attachments` are given.",
    )  # fmt: skip
    conversation_id: int | None = Field(default=None, ge=1, description="Continue this conversation; none: a new one.")
    attachments: list[int] = Field(
        default_factory=list, max_length=MESSAGE_MAX_FILES,
        description="Ids of your uploads (POST /chat/attachments) to send with the message; each goes with one.",
    )  # fmt: skip


class AttachmentAnswer(BaseModel):
    """A stored file (docs/chat.md): `message_id` is null until a message takes it."""

    id: int
    message_id: int | None
    name: str = Field(examples=["report.pdf"])
    kind: str = Field(description="image, pdf or text", examples=["pdf"])
    media_type: str = Field(examples=["application/pdf"])
    size: int = Field(description="Bytes.")
    pages: int | None = Field(description="A PDF's pages.")
    created_at: str


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool = Field(description="true runs the tool; false declines it (nothing changes).")


@router.post(
    "/message",
    summary="Send a message; the reply streams (SSE) or comes as one JSON answer",
    responses=ANSWERS,
    response_model=ChatAnswer,
)
def message(body: MessageRequest, request: Request, api: CallerApi) -> Response:
    try:
        events = chat_stream.stream_reply(
            api.runtime, api.caller, body.message, body.conversation_id, attachments=body.attachments
        )
    except PaaError as exc:
        return chat_stream.problem_for(exc)
    return _answer(request, events)


@router.post(
    "/confirm/{confirmation_id}",
    summary="Answer a pending confirmation; the reply goes on (SSE or JSON, as for a message)",
    responses=ANSWERS,
    response_model=ChatAnswer,
)
def confirm(
    body: ConfirmRequest,
    request: Request,
    api: CallerApi,
    confirmation_id: str = Path(min_length=1, max_length=100),
) -> Response:
    try:
        events = chat_stream.stream_confirmation(api.runtime, api.caller, confirmation_id, body.approve)
    except PaaError as exc:
        return chat_stream.problem_for(exc)
    return _answer(request, events)


UPLOAD_DOC = (
    "One file as `multipart/form-data` (field `file`): an image (JPEG, PNG, GIF, WebP), a PDF, or a text or code "
    "file (UTF-8). Checked at once against the limits (" + LIMITS + "); then send its id in a message's "
    "`attachments`. An upload no message takes for a day is deleted at your next upload."
)


@router.post(
    "/attachments",
    summary="Upload a file for a message to come; answers its id",
    description=UPLOAD_DOC,
    status_code=201,
    response_model=AttachmentAnswer,
    responses={422: {"description": "Not a kind of file paa attaches, or over a limit (`field`: attachments)."}},
)
def upload(api: CallerApi, file: UploadFile = File(description="The file.")) -> Any:
    from paa.core.attachments import classify
    from paa.core.attachments import upload as keep

    data = file.file.read(READ_MAX_BYTES + 1)
    name = file.filename or "attachment"
    if len(data) > READ_MAX_BYTES:
        raise InvalidInput(f"cannot attach {name[:80]}: it is larger than any attachment may be ({LIMITS})",
                           field="attachments")  # fmt: skip
    draft = classify(name, data)
    with api.write() as ctx:
        return keep(ctx, draft).to_json()


@router.get(
    "/attachments/{attachment_id}",
    summary="Download a file you attached (as an attachment, with its name)",
    response_class=Response,
    responses={
        200: {
            # The file's own type, as it was recognised when attached (paa.core.attachments).
            "content": {media: {} for media in (*IMAGE_TYPES, "application/pdf", "text/plain; charset=utf-8")},
            "description": "The file's bytes.",
        }
    },
)
def download(api: CallerApi, attachment_id: int = Path(ge=1)) -> Response:
    from urllib.parse import quote

    from paa.core.attachments import get_attachment, read_bytes

    with api.read() as ctx:
        row = get_attachment(ctx, attachment_id)
        data = read_bytes(ctx, row)
        name, media_type = row.name, row.media_type
    if media_type == "text/plain":
        media_type = "text/plain; charset=utf-8"
    # Never shown inline: the browser saves it, so a file can never run as the app's page.
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get(
    "/history",
    summary="Recent conversations, or one conversation's messages",
    **documented(list[schemas.Conversation] | schemas.ConversationDetail),
)
def history(
    api: CallerApi,
    conversation_id: int | None = Query(None, ge=1, description="Show this conversation's messages."),
    limit: int = Query(20, ge=1, le=1000, description="How many conversations."),
) -> Any:
    from paa.ai.insights import stored_insight
    from paa.ai.store import conversation_detail, list_conversations

    with api.read() as ctx:
        if conversation_id is None:
            return [item.to_json() for item in list_conversations(ctx, limit)]
        found, messages = conversation_detail(ctx, conversation_id)
        insight = stored_insight(ctx, conversation_id)
        return {
            **found.to_json(),
            "messages": [m.to_json() for m in messages],
            "insight": insight.to_json() if insight else None,
        }


@router.get(
    "/search",
    summary="Search your messages: every word, then by meaning (`paa chat search`'s hits)",
    **documented(list[schemas.ChatHit]),
)
def search(
    api: CallerApi,
    q: str = Query(min_length=1, max_length=2000, description="Words to find, in any case."),
    limit: int = Query(20, ge=1, le=200, description="How many messages at most."),
) -> list[dict[str, Any]]:
    from paa.ai.store import search_messages

    with api.read() as ctx:
        return [hit.to_json() for hit in search_messages(ctx, q, limit=limit)]


@router.delete(
    "/conversations/{conversation_id}",
    status_code=204,
    summary="Delete a conversation, its messages, their files and what memory kept of them",
)
def delete_conversation(api: CallerApi, conversation_id: int = Path(ge=1)) -> Response:
    from paa.ai.store import delete_conversation as delete

    with api.write() as ctx:
        delete(ctx, conversation_id)
    return Response(status_code=204)


@router.get(
    "/context",
    summary="What the model would be told now: system prompt, context, tools, history",
    **documented(schemas.ChatContext),
)
def context(
    api: CallerApi,
    message: str = Query("", max_length=2000, description="A message to find relevant memories for."),
    conversation_id: int | None = Query(None, ge=1, description="The conversation the message would continue."),
) -> dict[str, Any]:
    from paa.ai.chat import context_preview

    with api.read() as ctx:
        return context_preview(ctx, message, conversation_id)


# ---- answers -------------------------------------------------------------------------------------------------


def _answer(request: Request, events: Iterator[dict[str, Any]]) -> Response:
    if SSE in request.headers.get("accept", ""):
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy may hold the stream back
        return StreamingResponse(_sse(events), media_type=SSE, headers=headers)
    try:
        return JSONResponse(chat_stream.collect(events))
    except chat_stream.StreamFailed as failed:
        return chat_stream.response_for(failed.problem)


def _sse(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    for event in events:
        data = json.dumps(event["data"], ensure_ascii=False)
        yield f"event: {event['event']}\ndata: {data}\n\n"
