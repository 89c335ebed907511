"""The settings drawer, changed as a user does, and its effect on what happens next."""
from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM

from .helpers import tag, wait_until


def meta_prompt(llm: StandInLLM) -> str:
    messages = llm.generation_requests()[-1].messages
    found = [m["content"] for m in messages if m["role"] == "system" and "img-prompt" in str(m["content"])]
    assert len(found) <= 1
    return found[0] if found else ""


def saved(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("() => structuredClone(SillyTavern.getContext().extensionSettings.inlineImages)"))


def test_word_interval_from_the_drawer_reaches_the_meta_prompt(page: Page, llm: StandInLLM) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_wordInterval", "120")
    assert saved(page)["wordInterval"] == 120
    llm.queue("ok")
    stpage.send(page, "Hi")
    stpage.wait_idle(page)
    assert "120 words" in meta_prompt(llm)
    assert "250" not in meta_prompt(llm)


def test_out_of_range_values_are_clamped_in_the_drawer(page: Page) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_maxConcurrent", "9")
    expect(page.locator("#inline_images_maxConcurrent")).to_have_value("5")
    assert saved(page)["maxConcurrent"] == 5


def test_switching_preset_changes_the_meta_prompt(page: Page, llm: StandInLLM) -> None:
    stpage.open_extension_drawer(page)
    page.select_option("#inline_images_preset", "NAI 4.5 Full")
    preview = page.locator("#inline_images_preset_text").input_value()
    assert "{{words}}" in preview
    llm.queue("ok")
    stpage.send(page, "Hi")
    stpage.wait_idle(page)
    # {{cast}} goes with its blank line: nobody in this chat has an appearance.
    assert "\n\n{{cast}}\n\n" in preview
    # {{shapes}} is the shape rule (Let the model choose the shape is on by default).
    assert "\n{{shapes}}\n" in preview
    shape_rule = page.evaluate("async (base) => (await import(`${base}src/prompts/metaprompt.js`)).SHAPE_RULE",
                               page.evaluate("() => window.inlineImages.base"))
    assert meta_prompt(llm) == (preview.replace("{{words}}", "250").replace("\n\n{{cast}}\n\n", "\n\n")
                                .replace("{{shapes}}", shape_rule))
    assert saved(page)["presets"]["selected"] == "NAI 4.5 Full"


def test_disabled_means_no_instructions_and_no_images(page: Page, llm: StandInLLM,
                                                      images: StandInImageServer) -> None:
    stpage.open_extension_drawer(page)
    page.locator("#inline_images_enabled").uncheck()
    assert saved(page)["enabled"] is False
    llm.queue("Text. " + tag("a red door") + " More.")
    stpage.send(page, "Hi")
    stpage.wait_idle(page)
    page.wait_for_timeout(1500)
    assert meta_prompt(llm) == ""
    assert images.requests == []


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrency_limit_is_observed_at_the_image_server(page: Page, llm: StandInLLM,
                                                           images: StandInImageServer, limit: int) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_maxConcurrent", str(limit))
    images.behaviour.latency = 0.8
    llm.queue(" ".join(f"Part {i}. " + tag(f"picture number {i}") for i in range(4)) + " End.")
    stpage.send(page, "Four pictures.")
    last = page.locator("#chat .mes").last.locator(".mes_text img[data-iig]")
    expect(last).to_have_count(4, timeout=40_000)
    assert images.max_in_flight == limit
    if limit == 1:
        # Strictly in order: each starts after the previous finished.
        for before, after in zip(images.requests, images.requests[1:]):
            assert before.finished is not None and after.started >= before.finished


def test_min_interval_spaces_out_starts(page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_maxConcurrent", "5")
    stpage.set_field(page, "#inline_images_minIntervalMs", "700")
    llm.queue(" ".join(f"P{i}. " + tag(f"spaced picture {i}") for i in range(3)))
    stpage.send(page, "Go.")
    images.wait_for_requests(3, timeout=30)
    starts = [r.started for r in images.requests]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(g >= 0.6 for g in gaps), gaps


def test_image_width_setting_limits_the_picture(page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_imageWidth", "40")
    llm.queue("See. " + tag("a narrow picture") + " Done.")
    stpage.send(page, "Show me.")
    img = page.locator("#chat .mes").last.locator(".mes_text img[data-iig]")
    expect(img).to_have_count(1, timeout=30_000)
    ratio = img.evaluate("(el) => el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width")
    assert 0.3 < ratio <= 0.41


def test_per_image_timeout_marks_a_hung_picture_failed_and_append_retries_it(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_timeoutSeconds", "10")
    stpage.set_field(page, "#inline_images_retries", "0")  # one attempt: this test is about the timeout
    images.behaviour.hang = True
    reply = "The hall is silent. " + tag("a clock that never strikes") + " Nothing moves."
    llm.queue(reply)
    started = time.monotonic()
    stpage.send(page, "Wait.")
    stpage.wait_idle(page)
    mes = page.locator("#chat .mes").last
    failed = mes.locator('[data-iig-state="failed"]')
    expect(failed).to_have_count(1, timeout=30_000)
    assert time.monotonic() - started >= 9.5
    assert "timed out after 10 s" in (failed.get_attribute("title") or "")
    assert stpage.last_message_text(page) == reply
    # The backend recovers; a manual append draws the picture that timed out.
    images.behaviour.hang = False
    added = page.evaluate("async () => (await SillyTavern.getContext().executeSlashCommandsWithOptions('/inline-images')).pipe")
    assert added == "1"
    expect(mes.locator("img[data-iig]")).to_have_count(1)
    expect(failed).to_have_count(0)
    assert stpage.last_message_text(page).count("<img ") == 1


def test_reset_restores_defaults(page: Page) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_wordInterval", "700")
    page.locator("#inline_images_generateWhileStreaming").uncheck()
    page.click("#inline_images_reset")
    expect(page.locator("#inline_images_wordInterval")).to_have_value("250")
    expect(page.locator("#inline_images_generateWhileStreaming")).to_be_checked()
    assert saved(page)["wordInterval"] == 250


class TestCorruptSavedSettings:
    @pytest.fixture
    def stored_extension_settings(self) -> Any:
        return {"version": 2, "maxConcurrent": "lots", "wordInterval": -4, "logLevel": 7,
                "presets": {"selected": "Vanished", "custom": []}}

    def test_are_repaired_with_a_warning(self, page: Page) -> None:
        expect(page.locator("#toast-container .toast", has_text="repaired")).to_have_count(1)
        s = saved(page)
        assert (s["maxConcurrent"], s["wordInterval"], s["logLevel"]) == (2, 50, "INFO")
        assert s["presets"]["selected"] == "Default"
        stpage.open_extension_drawer(page)
        expect(page.locator("#inline_images_wordInterval")).to_have_value("50")


class TestVersionOneSettings:
    @pytest.fixture
    def stored_extension_settings(self) -> Any:
        return {"version": 1, "metaPrompt": "Illustrate with <img-prompt=\"...\"> every {{words}} words, please."}

    def test_are_migrated_and_the_custom_prompt_is_used(self, page: Page, llm: StandInLLM) -> None:
        s = saved(page)
        assert s["version"] == 2 and "metaPrompt" not in s
        llm.queue("ok")
        stpage.send(page, "Hi")
        stpage.wait_idle(page)
        assert meta_prompt(llm) == 'Illustrate with <img-prompt="..."> every 250 words, please.'
