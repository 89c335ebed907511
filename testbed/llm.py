"""Stand-in OpenAI-compatible LLM: `/v1/models`, `/v1/chat/completions`, `/v1/completions`.

Replies are scripted per test (`queue`), or written by the storyteller when nothing is
queued. Every request is recorded. Streaming sends small chunks at a configurable pace, and
a scripted reply can hold at a `Gate` until the test opens it.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Union

from aiohttp import web

from . import storyteller
from .background import BackgroundServer, StandIn
from .gate import Gate



@dataclass(frozen=True)
class StreamError:
    """In a streamed reply: send an OpenAI-style error event here and end the stream
    (an upstream failure mid-reply). Non-streamed replies answer HTTP 502 instead."""
    message: str = "stand-in failure mid-stream"


Part = Union[str, Gate, float, StreamError]  # text, a gate to wait at, seconds to pause, or a failure


@dataclass
class Reply:
    parts: list[Part]

    @classmethod
    def text(cls, text: str) -> "Reply":
        return cls([text])

    def full_text(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))

    def fails(self) -> str | None:
        """The message of the reply's StreamError, if it has one."""
        return next((p.message for p in self.parts if isinstance(p, StreamError)), None)


@dataclass
class LLMRequest:
    path: str
    body: dict[str, Any]
    at: float
    streamed: bool = False
    completed: bool = False
    reply: Reply | None = None  # what was answered (scripted, or the storyteller's)
    sent: str = ""  # the reply text written so far: all of it once completed, less when stopped
    # Streamed replies, for benchmarks: (time.monotonic() just after the chunk was written,
    # len(sent) after it) per text chunk, and when the final chunk and [DONE] were written.
    chunk_times: list[tuple[float, int]] = field(default_factory=list)
    ended: float | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def prompt(self) -> str:
        return str(self.body.get("prompt") or "")


@dataclass
class LLMSettings:
    chunk_chars: int = 8
    chunk_delay: float = 0.02
    model: str = "stand-in-storyteller"


@dataclass
class StandInLLM(StandIn):
    settings: LLMSettings = field(default_factory=LLMSettings)
    requests: list[LLMRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = BackgroundServer(self._app())

    @property
    def url(self) -> str:
        """Base URL as OpenAI clients want it (ending in /v1)."""
        return f"{self.origin}/v1"

    def reset(self) -> None:
        with self._lock:
            for reply in self._script:
                for part in reply.parts:
                    if isinstance(part, Gate):
                        part.open()
            self._script.clear()
            self.requests = []
            self.settings = LLMSettings()

    # -- scripting ---------------------------------------------------------------
    def queue(self, *replies: Reply | str) -> None:
        with self._lock:
            for reply in replies:
                self._script.append(Reply.text(reply) if isinstance(reply, str) else reply)

    def clear_queue(self) -> int:
        """Drop the scripted replies nobody asked for (opening their gates); returns how many."""
        with self._lock:
            left = len(self._script)
            for reply in self._script:
                for part in reply.parts:
                    if isinstance(part, Gate):
                        part.open()
            self._script.clear()
        return left

    def generation_requests(self) -> list[LLMRequest]:
        return [r for r in self.requests if r.path != "/v1/models"]

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> list[LLMRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.generation_requests()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} generation requests, saw {len(self.generation_requests())}")

    def _next_reply(self, messages: list[dict[str, Any]]) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if storyteller.is_writer_request(messages):
            return Reply.text(storyteller.write_prompts(messages))
        with_tags, every = storyteller.instructions(messages)
        text = storyteller.write_story(storyteller.last_user_text(messages), with_tags, every)
        return Reply.text(text)

    # -- HTTP ------------------------------------------------------------------
    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_post("/completions", self._completions)
        return app

    async def _models(self, request: web.Request) -> web.Response:
        self.requests.append(LLMRequest("/v1/models", {}, time.monotonic()))
        model = self.settings.model
        return web.json_response({"object": "list", "data": [{"id": model, "object": "model", "owned_by": "testbed"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        record = LLMRequest("/v1/chat/completions", body, time.monotonic(), streamed=bool(body.get("stream")))
        self.requests.append(record)
        reply = record.reply = self._next_reply(record.messages)

        def chunk(text: str | None, finish: str | None) -> dict[str, Any]:
            delta = {"content": text} if text is not None else {}
            return {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": self.settings.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        if not record.streamed:
            await self._hold(reply)
            if reply.fails():
                return web.json_response({"error": {"message": reply.fails()}}, status=502)
            record.completed = True
            record.sent = reply.full_text()
            return web.json_response({
                "id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()),
                "model": self.settings.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.full_text()},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            })
        return await self._stream(request, record, reply, lambda t: chunk(t, None), chunk(None, "stop"))

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        record = LLMRequest("/v1/completions", body, time.monotonic(), streamed=bool(body.get("stream")))
        self.requests.append(record)
        # A text-completion prompt is one string; the storyteller reads it as a system text.
        reply = record.reply = self._next_reply([{"role": "system", "content": record.prompt},
                                                 {"role": "user", "content": record.prompt[-200:]}])

        def chunk(text: str, finish: str | None) -> dict[str, Any]:
            return {"id": "cmpl-standin", "object": "text_completion", "created": int(time.time()),
                    "model": self.settings.model, "choices": [{"index": 0, "text": text, "finish_reason": finish}]}

        if not record.streamed:
            await self._hold(reply)
            if reply.fails():
                return web.json_response({"error": {"message": reply.fails()}}, status=502)
            record.completed = True
            record.sent = reply.full_text()
            return web.json_response({**chunk(reply.full_text(), "stop"),
                                      "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})
        return await self._stream(request, record, reply, lambda t: chunk(t, None), chunk("", "stop"))

    async def _hold(self, reply: Reply) -> None:
        """Non-streamed replies still honour the reply's gates and pauses before answering."""
        for part in reply.parts:
            if isinstance(part, Gate):
                await part.wait()
            elif isinstance(part, float):
                await asyncio.sleep(part)

    async def _stream(self, request: web.Request, record: LLMRequest, reply: Reply,
                      make_chunk: Any, final_chunk: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        settings = self.settings
        try:
            for part in reply.parts:
                if isinstance(part, Gate):
                    await part.wait()
                    continue
                if isinstance(part, float):
                    await asyncio.sleep(part)
                    continue
                if isinstance(part, StreamError):
                    await response.write(f"data: {json.dumps({'error': {'message': part.message}})}\n\n".encode())
                    await response.write_eof()
                    return response
                for i in range(0, len(part), settings.chunk_chars):
                    piece = part[i:i + settings.chunk_chars]
                    await response.write(f"data: {json.dumps(make_chunk(piece))}\n\n".encode())
                    record.sent += piece
                    record.chunk_times.append((time.monotonic(), len(record.sent)))
                    if settings.chunk_delay:
                        await asyncio.sleep(settings.chunk_delay)
            await response.write(f"data: {json.dumps(final_chunk)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            record.ended = time.monotonic()
            record.completed = True
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the user pressed Stop: SillyTavern closed the connection
        return response
