"""Small helpers shared by the end-to-end tests."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Callable

from playwright.sync_api import Page

from testbed import stpage
from testbed.sillytavern import SillyTavern

# A negative prompt sent with the picture follows as data-iig-negative.
IMG_OF_OURS = re.compile(r'<img data-iig="1" src="([^"]*)" title="([^"]*)" alt="([^"]*)"(?: data-iig-negative="[^"]*")?>')


def tag(prompt: str) -> str:
    return f'<img-prompt="{prompt}">'


def draw_prompts(page: Page, llm: Any, images: Any, prompts: list[str], ask: str = "Go on.") -> None:
    """One reply holding a tag for each prompt; returns once each was asked of the image
    server and everything of the extension's is done."""
    before = len(images.requests)
    llm.queue(" ".join(tag(p) + " Text." for p in prompts))
    stpage.send(page, ask)
    stpage.wait_idle(page)
    images.wait_for_requests(before + len(prompts))
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)


def chat_path(st: SillyTavern, page: Page) -> Path:
    return chat_file(st, stpage.current_chat_file(page))


def chat_file(st: SillyTavern, name: str) -> Path:
    """The saved file of the chat called `name` (without .jsonl)."""
    found = list((st.user_dir / "chats").rglob(f"{name}.jsonl"))
    assert found, f"no saved chat file named {name}.jsonl"
    return found[0]


def saved_messages(st: SillyTavern, page: Page) -> list[dict[str, Any]]:
    """The chat as saved on disk, without the metadata header line."""
    return st.read_chat(chat_path(st, page))[1:]


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last value: {json.dumps(last, default=str)[:2000]}")


def images_in(text: str) -> list[tuple[str, str]]:
    """(src, the tag's prompt) of each of our images in a message text: the alt text (the
    title, shown on hover, is the prompt as sent, which the cast may have added to)."""
    return [(m.group(1), m.group(3)) for m in IMG_OF_OURS.finditer(text)]


def reply_with_a_held_picture(page: Page, llm: Any, images: Any, prompt: str, before: str = "Text. ",
                              after: str = " Done.") -> Any:
    """A finished reply whose one picture is being drawn and held until the returned gate opens."""
    slow = images.gate(prompt)
    llm.queue(before + tag(prompt) + after)
    stpage.send(page, "Go on.")
    images.wait_for_requests(1, timeout=20)
    stpage.wait_idle(page)
    return slow
