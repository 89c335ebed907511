"""Pictures per day: at the daily limit, tags wait for a click, across a reload too."""
from __future__ import annotations

import html
import json
from typing import Any

from playwright.sync_api import Locator, Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import images_in, saved_messages, tag, wait_until


def last_mes(page: Page) -> Locator:
    return page.locator("#chat .mes").last.locator(".mes_text")


def stored(sillytavern: SillyTavern) -> dict[str, Any]:
    """The extension settings as saved on the server."""
    return dict(json.loads((sillytavern.user_dir / "settings.json").read_text())["extension_settings"])


def today_line(page: Page) -> Locator:
    stpage.open_extension_drawer(page)
    return page.locator("#inline_images_today")


def test_daily_limit_holds_tags_back_across_a_reload_and_a_click_still_draws(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    stpage.open_extension_drawer(page)
    expect(page.locator("#inline_images_today")).to_have_text("0 pictures today (all chats)")
    stpage.set_field(page, "#inline_images_dailyLimit", "2")
    # One picture at a time, each taking a moment: the later tags stream in while the first
    # draws and the second waits its turn, when only one request has been sent.
    stpage.set_field(page, "#inline_images_maxConcurrent", "1")
    page.click("#extensions-settings-button .drawer-toggle")
    images.behaviour.latency = 1.0
    prompts = ["a mill by a stream", "a heron in the reeds", "a bridge of old stone", "a cart on a muddy road"]
    llm.queue(" Text. ".join(tag(p) for p in prompts) + " End.")
    stpage.send(page, "Walk on.")
    stpage.wait_idle(page)
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(2, timeout=30_000)
    waiting = last_mes(page).locator('[data-iig-state="limit"]')
    expect(waiting).to_have_count(2)
    for box in waiting.all():
        expect(box).to_have_text("not drawn (daily limit reached), click to draw")
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)
    # Exactly two requests reached the image server: the first two tags.
    assert len(images.requests) == 2, images.prompts()
    assert [p for p in prompts if any(r.prompt.endswith(p) for r in images.requests)] == prompts[:2]
    expect(today_line(page)).to_have_text("2 pictures today (all chats)")
    page.click("#extensions-settings-button .drawer-toggle")
    chat = stpage.current_chat_file(page)
    # SillyTavern saves settings with a debounce: wait until the count, the limit and the
    # held boxes are on the server before the reload.
    wait_until(lambda: (s := stored(sillytavern)).get("inlineImagesToday", {}).get("count") == 2
               and s.get("inlineImages", {}).get("dailyLimit") == 2
               and sum(bool(r.get("failure", {}).get("held")) for r in s.get("inlineImagesFailed", [])) == 2,
               what="the day's count, the limit and the held pictures in settings.json")

    # The reload: the count holds, and the first reply's boxes are back.
    stpage.open_app(page, sillytavern.url)
    stpage.open_character(page)
    page.evaluate("async (name) => await SillyTavern.getContext().openCharacterChat(name)", chat)
    expect(last_mes(page).locator('[data-iig-state="limit"]')).to_have_count(2, timeout=30_000)
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(2)
    expect(today_line(page)).to_have_text("2 pictures today (all chats)")
    page.click("#extensions-settings-button .drawer-toggle")

    # The next reply's tags wait too: no request.
    later = ["a lantern at the gate", "an owl on the roof"]
    llm.queue("Night. " + tag(later[0]) + " Later. " + tag(later[1]) + " Sleep.")
    stpage.send(page, "Go home.")
    stpage.wait_idle(page)
    waiting = last_mes(page).locator('[data-iig-state="limit"]')
    expect(waiting).to_have_count(2, timeout=30_000)
    expect(waiting.first).to_have_text("not drawn (daily limit reached), click to draw")
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)
    page.wait_for_timeout(1500)
    assert len(images.requests) == 2, images.prompts()

    # A click draws that one (the user's choice) and counts; the other still waits.
    waiting.last.click()
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    expect(last_mes(page).locator('[data-iig-state="limit"]')).to_have_count(1)
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)
    assert len(images.requests) == 3, images.prompts()
    assert images.prompts()[-1].endswith(later[1])
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]["mes"]) and images_in(m) and m,
                      what="the clicked picture saved")
    assert [html.unescape(title) for _src, title in images_in(text)] == [later[1]]
    expect(today_line(page)).to_have_text("3 pictures today (all chats)")
    wait_until(lambda: stored(sillytavern).get("inlineImagesToday", {}).get("count") == 3, what="the count of 3 saved")
