"""Stand-in for the AUTOMATIC1111 / Forge web API that SillyTavern's `auto` source calls.

SillyTavern's server (not the browser) calls it: `GET /sdapi/v1/options` before each
generation, then `POST /sdapi/v1/txt2img`, reading `images[0]` as base64 PNG. On page load
the Image Generation extension probes the model, sampler, scheduler, upscaler and VAE lists.

A txt2img request goes through, in order: its prompt's gates, the latency (fixed plus the
seeded `latency_range` draw), `hang`, the failure rules (`fail_first`, `fail_prompts_containing`,
the seeded `fail_rate` draw), then `together` holds the prepared answer until its batch is
complete.
"""
from __future__ import annotations

import asyncio
import base64
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .background import BackgroundServer, StandIn
from .gate import Gate
from .png import draw_prompt_png


@dataclass
class ImageRequest:
    prompt: str
    body: dict[str, Any]
    started: float
    finished: float | None = None
    outcome: str = "pending"  # ok | http_error | timeout | pending
    delay: float = 0.0  # the latency this request was given (fixed plus drawn)
    answered: float | None = None  # when its answer was ready to leave (after any `together` hold)

    @property
    def negative(self) -> str:
        """The negative prompt the request carried (txt2img's `negative_prompt`; '' when none)."""
        return str(self.body.get("negative_prompt") or "")


@dataclass
class ImageBehaviour:
    """How the server answers txt2img; tests change it between (or during) generations."""

    latency: float = 0.0
    fail_first: int = 0  # the first N attempts answer HTTP `fail_status`
    fail_status: int = 500
    fail_prompts_containing: str | None = None
    hang: bool = False  # never answer (the caller's timeout fires)
    gates: dict[str, Gate] = field(default_factory=dict)  # prompt substring -> gate to wait on
    # Seeded randomness, reproducible whatever order the requests arrive in: each request's
    # draws come from `random.Random` seeded with (seed, prompt, how many times that prompt
    # was asked before), so a prompt fails, or is slow, the same way on every run.
    seed: int = 0
    fail_rate: float = 0.0  # this share of requests answers HTTP `fail_status` (like fail_first)
    latency_range: tuple[float, float] | None = None  # extra latency drawn uniformly from [low, high] s
    # Hold answers until `together` txt2img requests have arrived, then send all of them in
    # one event-loop iteration: the PNGs (or errors) are prepared beforehand, so the answers
    # leave back to back. This reproduces SillyTavern saving two pictures in the same
    # millisecond (its file names carry a millisecond timestamp). Requests that arrive after
    # a batch was released form the next batch; `reset()` releases a batch still waiting.
    together: int = 0


class StandInImageServer(StandIn):
    def __init__(self) -> None:
        self.behaviour = ImageBehaviour()
        self.requests: list[ImageRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._attempts = 0
        self._asked: dict[str, int] = {}  # prompt -> times asked, for the seeded draws
        # The batch `together` is filling; touched only on the server's loop.
        self._batch: asyncio.Event | None = None
        self._batch_size = 0
        self._server = BackgroundServer(self._app())

    @property
    def url(self) -> str:
        return self.origin

    def reset(self) -> None:
        """Forget requests and restore default behaviour (cheap per-test reset)."""
        with self._lock:
            for gate in self.behaviour.gates.values():
                gate.open()  # release anything a previous test left waiting
            self.behaviour = ImageBehaviour()
        if self._server.loop.is_running():
            self._server.call_soon(self._release_batch)
        deadline = time.monotonic() + 5
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            self.requests = []
            self.max_in_flight = 0
            self._attempts = 0
            self._asked = {}

    def randomise(self, seed: int, fail_rate: float = 0.0,
                  latency_range: tuple[float, float] | None = None) -> None:
        """Seeded failures and latency (see ImageBehaviour.seed); the rest of the behaviour stays."""
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, not {fail_rate}")
        if latency_range is not None and not 0.0 <= latency_range[0] <= latency_range[1]:
            raise ValueError(f"latency_range must be (low, high) with 0 <= low <= high, not {latency_range}")
        with self._lock:
            self.behaviour.seed = seed
            self.behaviour.fail_rate = fail_rate
            self.behaviour.latency_range = latency_range
            self._asked = {}

    def stop(self) -> None:
        # Release held and hanging requests first, so none is cut off mid-handler.
        self.reset()
        super().stop()

    def gate(self, prompt_part: str) -> Gate:
        """Hold every generation whose prompt contains `prompt_part` until the gate opens."""
        gate = Gate()
        self.behaviour.gates[prompt_part] = gate
        return gate

    def prompts(self) -> list[str]:
        return [r.prompt for r in self.requests]

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> list[ImageRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} txt2img requests, saw {len(self.requests)}: {self.prompts()}")

    # -- HTTP ------------------------------------------------------------------
    def _app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)

        def json_route(payload: Any) -> Any:
            async def handler(_request: web.Request) -> web.Response:
                return web.json_response(payload)
            return handler

        options = {"sd_model_checkpoint": "stand-in.safetensors", "CLIP_stop_at_last_layers": 1}
        app.router.add_get("/sdapi/v1/options", json_route(options))
        app.router.add_post("/sdapi/v1/options", json_route({}))
        app.router.add_get("/sdapi/v1/sd-models", json_route(
            [{"title": "stand-in.safetensors", "model_name": "stand-in", "hash": "0000"}]))
        app.router.add_get("/sdapi/v1/samplers", json_route([{"name": "Euler a", "aliases": []}]))
        app.router.add_get("/sdapi/v1/schedulers", json_route([{"name": "automatic", "label": "Automatic"}]))
        app.router.add_get("/sdapi/v1/upscalers", json_route([{"name": "None"}]))
        app.router.add_get("/sdapi/v1/latent-upscale-modes", json_route([{"name": "Latent"}]))
        app.router.add_get("/sdapi/v1/sd-vae", json_route([]))
        app.router.add_get("/sdapi/v1/sd-modules", json_route([]))
        app.router.add_get("/sdapi/v1/progress", json_route({"progress": 0, "state": {"job_count": 0}}))
        app.router.add_post("/sdapi/v1/interrupt", json_route({}))
        app.router.add_post("/sdapi/v1/txt2img", self._txt2img)
        return app

    def _draws(self, behaviour: ImageBehaviour, prompt: str) -> tuple[float, bool]:
        """(extra latency, fails) for this request; call with the lock held."""
        nth = self._asked.get(prompt, 0)
        self._asked[prompt] = nth + 1
        if not behaviour.fail_rate and behaviour.latency_range is None:
            return 0.0, False
        rng = random.Random(f"{behaviour.seed}\x00{prompt}\x00{nth}")
        extra = rng.uniform(*behaviour.latency_range) if behaviour.latency_range else 0.0
        return extra, rng.random() < behaviour.fail_rate

    def _release_batch(self) -> None:
        if self._batch is not None:
            self._batch.set()
        self._batch, self._batch_size = None, 0

    async def _hold_together(self, behaviour: ImageBehaviour) -> None:
        """Wait until `behaviour.together` answers are ready; the last one releases them all.
        Batching turned off while a batch waits (a test changes it between two answers): the
        answer arriving now releases the ones waiting, and they leave together all the same."""
        # A reset swapped the behaviour while this answer was being drawn: its batch was
        # released already, and no partner will come.
        if behaviour.together <= 1 or self.behaviour is not behaviour:
            if self._batch is not None:
                self._release_batch()
            return
        if self._batch is None:
            self._batch, self._batch_size = asyncio.Event(), 0
        batch = self._batch
        self._batch_size += 1
        if self._batch_size >= behaviour.together:
            self._release_batch()
        # Every waiter wakes in the same loop iteration once the event is set.
        await batch.wait()

    async def _txt2img(self, request: web.Request) -> web.Response:
        body = await request.json()
        prompt = str(body.get("prompt", ""))
        record = ImageRequest(prompt=prompt, body=body, started=time.monotonic())
        with self._lock:
            self.requests.append(record)
            self._attempts += 1
            attempt = self._attempts
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            behaviour = self.behaviour
            extra, drawn_failure = self._draws(behaviour, prompt)
        try:
            for part, gate in list(behaviour.gates.items()):
                if part in prompt:
                    await gate.wait()
            record.delay = behaviour.latency + extra
            if record.delay:
                await asyncio.sleep(record.delay)
            # Hang until the test resets the server (which swaps `behaviour`), so no
            # request outlives the test that made it hang.
            while behaviour.hang and self.behaviour is behaviour:
                await asyncio.sleep(0.05)
            if behaviour.hang:
                record.outcome = "timeout"
                return web.json_response({"error": "released by reset"}, status=504)
            if attempt <= behaviour.fail_first or drawn_failure or (
                behaviour.fail_prompts_containing and behaviour.fail_prompts_containing in prompt
            ):
                outcome = "http_error"
                response = web.json_response({"error": "stand-in failure"}, status=behaviour.fail_status)
            else:
                png = await asyncio.get_running_loop().run_in_executor(None, draw_prompt_png, prompt)
                outcome = "ok"
                response = web.json_response({
                    "images": [base64.b64encode(png).decode("ascii")],
                    "parameters": {},
                    "info": "{}",
                })
            await self._hold_together(behaviour)
            record.outcome = outcome
            record.answered = time.monotonic()
            return response
        finally:
            record.finished = time.monotonic()
            with self._lock:
                self.in_flight -= 1
