"""Long illustrated chats: Send costs what it costs without the extension.

SillyTavern counts the tokens of every history message before it sends a chat-completion
prompt, a server request for each count it has not cached, one after another. Its cached
counts are of the messages with our pictures (its dry runs skip the extensions' interceptors);
Send counts them pruned. Counted ahead in idle time, they cost Send nothing."""
from __future__ import annotations

import time

from playwright.sync_api import Page

from testbed import stpage
from testbed.chats import write_illustrated_chat
from testbed.llm import StandInLLM
from testbed.png import draw_prompt_png
from testbed.sillytavern import SillyTavern

from .helpers import tag, wait_until

COUNT = "/api/tokenizers/openai/count"


def test_send_in_a_long_illustrated_chat_counts_no_message_with_pictures(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM) -> None:
    avatar = str(page.evaluate("() => SillyTavern.getContext().characters.find((c) => c.name === 'Seraphina').avatar"))
    write_illustrated_chat(sillytavern, avatar, "Seraphina", "long chat counts", 40, 2, draw_prompt_png("a long chat"))
    counted: list[tuple[float, str]] = []
    page.on("request", lambda r: counted.append((time.monotonic(), r.post_data or "")) if COUNT in r.url else None)
    page.evaluate("async (n) => { await SillyTavern.getContext().openCharacterChat(n); }", "long chat counts")
    wait_until(lambda: page.evaluate("() => SillyTavern.getContext().chat.length") == 80, what="the long chat open")

    def quiet(seconds: float = 2.0) -> None:
        """Wait until the extension is idle (counting ahead included) and no count request has
        been made for `seconds` (SillyTavern's dry run is over)."""
        start = time.monotonic()
        while time.monotonic() < start + 60:
            page.wait_for_timeout(250)  # Playwright hands over request events while it runs a call
            last = max(start, counted[-1][0] if counted else start)
            if time.monotonic() - last > seconds and page.evaluate("() => window.inlineImages.idle()"):
                return
        raise AssertionError("token counting never went quiet")

    quiet()
    assert any("data-iig" not in body and "img-prompt" in body for _t, body in counted), \
        "the messages with pictures were counted ahead, pruned"
    before = len(counted)
    llm.queue("The wind rose. " + tag("dunes under a red moon") + " They rode on.")
    stpage.send(page, "Ride on.")
    wait_until(lambda: len(llm.generation_requests()) >= 1, what="the prompt sent")
    at_send = [body for _t, body in counted[before:]]
    with_pictures = [b for b in at_send if "img-prompt" in b]
    assert not with_pictures, f"Send counted {len(with_pictures)} illustrated message(s): {with_pictures[:2]}"
    assert len(at_send) <= 2, f"Send made {len(at_send)} count requests"
    stpage.wait_idle(page)

    # After the reply (a dry run counts it with its picture), the next Send counts it not again.
    quiet()
    before = len(counted)
    llm.queue("Night fell. They slept.")
    stpage.send(page, "Sleep.")
    wait_until(lambda: len(llm.generation_requests()) >= 2, what="the second prompt sent")
    at_send = [body for _t, body in counted[before:]]
    assert not [b for b in at_send if "img-prompt" in b], "the last reply, with its picture, was counted at Send"
    print(f"\ncount requests: {before} before the second Send, {len(at_send)} during it")
