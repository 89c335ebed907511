"""Playwright driving Debian's Chromium (never a downloaded browser)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Playwright

# Without these Chromium keeps trying to reach Google's services, and this network refuses
# every such connection.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


def chromium_path() -> str:
    explicit = os.environ.get("INLINE_IMAGES_CHROMIUM")
    for candidate in [explicit, "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]:
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(
        "Chromium not found. Install Debian's package (`apt-get install chromium`) or set "
        "INLINE_IMAGES_CHROMIUM to a Chromium binary. Browser downloads are not used.")


def launch(playwright: Playwright, headless: bool = True) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path(), headless=headless, args=CHROMIUM_ARGS)
