"""Run an aiohttp application on its own event loop in a daemon thread.

Tests and the demo share one process with the stand-ins, so a test can script a reply or
read the recorded requests directly instead of talking to another process.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
S = TypeVar("S", bound="StandIn")


class BackgroundServer:
    """Serves `app` on 127.0.0.1 at port 0 (or `port`) until `stop()`."""

    def __init__(self, app: web.Application, port: int = 0) -> None:
        self._app = app
        self._requested_port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="stand-in")
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def start(self) -> "BackgroundServer":
        self._thread.start()
        self.call(self._start())
        return self

    async def _start(self) -> None:
        # Streamed replies may be held open by a gate; don't let shutdown wait on them forever.
        self._runner = web.AppRunner(self._app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port)
        await site.start()
        # aiohttp exposes no public accessor for the port a port-0 site was given.
        server: Any = site._server  # noqa: SLF001
        assert server is not None and server.sockets
        self.port = int(server.sockets[0].getsockname()[1])

    def call(self, coro: Awaitable[T], timeout: float = 30) -> T:
        """Run a coroutine on the server's loop from another thread and return its result."""
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        return fut.result(timeout)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self._loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._runner is not None:
            try:
                self.call(self._runner.cleanup(), timeout=10)
            except Exception:  # noqa: BLE001 - stopping must never raise over a test's own failure
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


class StandIn:
    """A stand-in backend served by a BackgroundServer: start, stop, origin."""

    _server: BackgroundServer

    def start(self: S) -> S:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def origin(self) -> str:
        return self._server.url
