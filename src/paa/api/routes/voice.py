"""`/voice`: speech to text on the server's own machine, for the browser app's microphone button. The recording is
transcribed in memory and dropped: nothing of it is stored or logged, and it is never sent anywhere else."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from paa.api.caller import CallerApi
from paa.api.problems import problem
from paa.errors import InvalidInput

router = APIRouter(prefix="/voice", tags=["voice"])

WAV_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")
BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A PCM WAV recording (8, 16 or 32 bit, any channels, 8-192 kHz; the browser app sends 16 kHz "
        "mono), at most 300 seconds and the server's body limit.",
        "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
    }
}
ANSWERS: dict[int | str, dict[str, Any]] = {
    415: {"description": "The body is not `audio/wav`."},
    422: {"description": "The body is not a PCM WAV file paa can read, or it is too long (`field`: audio)."},
    503: {"description": "Speech-to-text is not installed on the server (the `voice` extra)."},
}


class TranscriptAnswer(BaseModel):
    text: str = Field(description="The words heard, lower case; empty when none were.", examples=["water the plants"])
    seconds: float = Field(description="The recording's length.", examples=[2.4])
    model: str = Field(examples=["pocketsphinx-en-us"])


@router.post(
    "/transcribe",
    summary="Transcribe a recording on the server; nothing is stored",
    response_model=TranscriptAnswer,
    responses=ANSWERS,
    openapi_extra=BODY,
)
async def transcribe(request: Request, api: CallerApi) -> Response:
    from paa.ai import voice

    api.caller.require("write")  # what it is for: a message about to be sent; and it costs the server CPU
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in WAV_TYPES:
        return problem(415, "unsupported-media-type", f"send the recording as audio/wav, not {kind or 'nothing'}")
    data = await request.body()
    if not data:
        raise InvalidInput("the recording is empty", field="audio")
    try:
        heard = await run_in_threadpool(voice.transcribe_wav, data)  # the model takes seconds: not on the loop
    except voice.VoiceUnavailable as exc:
        return problem(503, "voice-unavailable", exc.message, hint=exc.hint)
    return JSONResponse(heard.to_json())
