"""A real SillyTavern with the extension, on the stand-in backends, open in Chromium: what the
benchmarks start, and stop in every case."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NamedTuple

from playwright.sync_api import Page, sync_playwright

from . import browser as tb_browser
from . import stpage
from .images import StandInImageServer
from .llm import StandInLLM
from .sillytavern import EXTENSION_FOLDER, REPO_ROOT, Backends, SillyTavern


class Session(NamedTuple):
    st: SillyTavern
    llm: StandInLLM
    images: StandInImageServer
    page: Page


@contextmanager
def standin_session() -> Iterator[Session]:
    """SillyTavern started on the stand-ins, a page with Seraphina's chat open; all of it
    stopped on the way out, whatever happened."""
    llm, images = StandInLLM().start(), StandInImageServer().start()
    st = SillyTavern(Backends(llm.url, images.url), extensions={EXTENSION_FOLDER: REPO_ROOT})
    try:
        st.start()
        with sync_playwright() as p:
            chromium = tb_browser.launch(p)
            try:
                page = chromium.new_page()
                stpage.open_app(page, st.url)
                stpage.open_character(page)
                yield Session(st, llm, images, page)
            finally:
                chromium.close()
    finally:
        st.stop()
        images.stop()
        llm.stop()
