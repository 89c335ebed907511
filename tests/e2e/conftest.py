"""End-to-end fixtures: one real SillyTavern and one Chromium per session, a fresh page and
a fresh chat per test. A failed test leaves its screenshot, page console and the server's
output under test-artifacts/."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from testbed import browser as tb_browser
from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import EXTENSION_FOLDER, IMAGE_URL_SETTING, REPO_ROOT, Backends, SillyTavern

ARTIFACTS = REPO_ROOT / "test-artifacts"


def extra_extensions() -> dict[str, Path]:
    """Extensions installed beside ours (override point for tests that need a neighbour)."""
    fixtures = Path(__file__).parent / "extensions"
    return {p.name: p for p in sorted(fixtures.iterdir()) if (p / "manifest.json").is_file()} if fixtures.exists() else {}


@pytest.fixture(scope="session", autouse=True)
def fresh_artifacts() -> None:
    """Artefacts describe this run's failures only."""
    import shutil
    shutil.rmtree(ARTIFACTS, ignore_errors=True)


@pytest.fixture(scope="session")
def sillytavern(llm_server: StandInLLM, image_server: StandInImageServer) -> Iterator[SillyTavern]:
    st = SillyTavern(Backends(llm_server.url, image_server.url),
                     extensions={EXTENSION_FOLDER: REPO_ROOT, **extra_extensions()})
    st.start()
    yield st
    st.stop()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(playwright_instance: Playwright) -> Iterator[Browser]:
    b = tb_browser.launch(playwright_instance)
    yield b
    b.close()


@pytest.fixture
def console() -> list[str]:
    return []


@pytest.fixture
def stored_extension_settings() -> Any:
    """What the extension finds saved when the page loads; None for nothing (override point)."""
    return None


@pytest.fixture
def page(request: pytest.FixtureRequest, chromium: Browser, sillytavern: SillyTavern,
         llm: StandInLLM, images: StandInImageServer, console: list[str],
         stored_extension_settings: Any) -> Iterator[Page]:
    """SillyTavern open in a new browser context, with Seraphina's chat open, streaming on and
    the extension's settings at their defaults (a test's changes never leak into the next)."""
    def defaults(settings: dict[str, Any]) -> None:
        settings["extension_settings"].pop("inlineImages", None)
        # Pictures an earlier test left for chats it never reopened are that test's business.
        settings["extension_settings"].pop("inlineImagesHeld", None)
        settings["extension_settings"].pop("inlineImagesFailed", None)
        settings["extension_settings"].pop("inlineImagesPersonas", None)
        # Each test starts a fresh day of pictures (the daily limit is off by default anyway).
        settings["extension_settings"].pop("inlineImagesToday", None)
        # Image Generation on, and no regex script a test added left behind.
        ext = settings["extension_settings"]
        ext["disabledExtensions"] = [x for x in ext.get("disabledExtensions", []) if x != "stable-diffusion"]
        ext["regex"] = [s for s in ext.get("regex", []) if not str(s.get("id", "")).startswith("iig-test")]
        manager = ext.get("connectionManager")
        if isinstance(manager, dict) and isinstance(manager.get("profiles"), list):
            manager["profiles"] = [p for p in manager["profiles"] if not str(p.get("id", "")).startswith("iig-test")]
        if stored_extension_settings is not None:
            settings["extension_settings"]["inlineImages"] = stored_extension_settings
        settings["oai_settings"]["stream_openai"] = True
        # A test may point Image Generation elsewhere (an unconfigured source); any settings
        # save after it (SillyTavern's or ours) would carry that into every later test.
        b = sillytavern.backends
        settings["extension_settings"].setdefault("sd", {}).update(
            {"source": b.image_source, IMAGE_URL_SETTING[b.image_source]: b.image_url,
             # Character prompts, a seed and a size a test set would reach later tests' pictures.
             "character_prompts": {}, "seed": -1, "width": 512, "height": 512})
        settings["main_api"] = "openai"

    sillytavern.patch_settings(defaults)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)

    def log(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text}")

    pg.on("console", log)
    pg.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    stpage.open_app(pg, sillytavern.url)
    stpage.open_character(pg)
    stpage.new_chat(pg)
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        out = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        out.mkdir(parents=True, exist_ok=True)
        try:
            pg.screenshot(path=str(out / "page.png"), full_page=False)
        except Exception as error:  # noqa: BLE001 - a dead page must not hide the real failure
            console.append(f"(screenshot failed: {error})")
        (out / "console.log").write_text("\n".join(console))
        (out / "sillytavern.log").write_text(sillytavern.output()[-200_000:])
    context.close()
