"""Stand-in for the AUTOMATIC1111 / Forge web API that SillyTavern's `auto` source calls.

SillyTavern's server (not the browser) calls it: `GET /sdapi/v1/options` before each
generation, then `POST /sdapi/v1/txt2img`, reading `images[0]` as base64 PNG. On page load
the Image Generation extension probes the model, sampler, scheduler, upscaler and VAE lists.
"""
from __future__ import annotations

import asyncio
import base64
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


@dataclass
class ImageBehaviour:
    """How the server answers txt2img; tests change it between (or during) generations."""

    latency: float = 0.0
    fail_first: int = 0  # the first N attempts answer HTTP `fail_status`
    fail_status: int = 500
    fail_prompts_containing: str | None = None
    hang: bool = False  # never answer (the caller's timeout fires)
    gates: dict[str, Gate] = field(default_factory=dict)  # prompt substring -> gate to wait on


class StandInImageServer(StandIn):
    def __init__(self) -> None:
        self.behaviour = ImageBehaviour()
        self.requests: list[ImageRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._attempts = 0
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
        deadline = time.monotonic() + 5
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            self.requests = []
            self.max_in_flight = 0
            self._attempts = 0

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
        try:
            for part, gate in list(behaviour.gates.items()):
                if part in prompt:
                    await gate.wait()
            if behaviour.latency:
                await asyncio.sleep(behaviour.latency)
            # Hang until the test resets the server (which swaps `behaviour`), so no
            # request outlives the test that made it hang.
            while behaviour.hang and self.behaviour is behaviour:
                await asyncio.sleep(0.05)
            if behaviour.hang:
                record.outcome = "timeout"
                return web.json_response({"error": "released by reset"}, status=504)
            if attempt <= behaviour.fail_first or (
                behaviour.fail_prompts_containing and behaviour.fail_prompts_containing in prompt
            ):
                record.outcome = "http_error"
                return web.json_response({"error": "stand-in failure"}, status=behaviour.fail_status)
            png = await asyncio.get_running_loop().run_in_executor(None, draw_prompt_png, prompt)
            record.outcome = "ok"
            return web.json_response({
                "images": [base64.b64encode(png).decode("ascii")],
                "parameters": {},
                "info": "{}",
            })
        finally:
            record.finished = time.monotonic()
            with self._lock:
                self.in_flight -= 1
