"""A gate a test opens from its own thread while a stand-in server waits on it."""
from __future__ import annotations

import asyncio
import threading
import time


class Gate:
    """Closed until `open()`; `wait()` (async) returns once open, or False after `timeout`."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reached = threading.Event()  # set when a server first waits here

    def open(self) -> None:
        self._event.set()

    @property
    def is_open(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout: float = 120.0) -> bool:
        self.reached.set()
        deadline = time.monotonic() + timeout
        # Polling keeps the gate usable from any thread without loop bookkeeping; 20 ms is
        # far below anything a test measures.
        while not self._event.is_set():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True
