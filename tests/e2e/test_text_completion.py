"""Text-completion APIs get the same pictures: meta-prompt near the end of the prompt string,
images inserted, our <img> markup pruned from the next prompt."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import EXTENSION_FOLDER, REPO_ROOT, Backends, SillyTavern

from .helpers import tag


@pytest.fixture(scope="module")
def text_sillytavern(llm_server: StandInLLM, image_server: StandInImageServer) -> Iterator[SillyTavern]:
    st = SillyTavern(Backends(llm_server.url, image_server.url), api="text",
                     extensions={EXTENSION_FOLDER: REPO_ROOT})
    st.start()
    yield st
    st.stop()


@pytest.fixture
def text_page(chromium: Browser, text_sillytavern: SillyTavern, llm: StandInLLM,
              images: StandInImageServer) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    stpage.open_app(page, text_sillytavern.url)
    assert page.evaluate("() => SillyTavern.getContext().mainApi") == "textgenerationwebui"
    stpage.open_character(page)
    stpage.new_chat(page)
    yield page
    context.close()


def test_text_completion_reply_gets_images_and_the_next_prompt_is_pruned(
        text_page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    llm.queue("The road bent west. " + tag("a winding road through autumn hills") + " They walked on.",
              "Later that day.")
    stpage.send(text_page, "Where does the road go?")
    last = text_page.locator("#chat .mes").last.locator(".mes_text")
    expect(last.locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    stpage.wait_idle(text_page)
    first = llm.generation_requests()[-1]
    assert first.path == "/v1/completions"
    assert "img-prompt" in first.prompt[-3000:], "the meta-prompt sits near the end of the prompt"
    assert images.prompts()[-1].endswith("a winding road through autumn hills")
    # Nothing lingers for prompts built after the reply (token counting, other extensions).
    lingering = text_page.evaluate("() => SillyTavern.getContext().extensionPrompts['inline_images_meta']?.value ?? ''")
    assert lingering == ""

    stpage.send(text_page, "And then?")
    stpage.wait_idle(text_page)
    second = llm.generation_requests()[-1]
    assert tag("a winding road through autumn hills") in second.prompt
    assert "data-iig" not in second.prompt and "/user/images/" not in second.prompt


def test_text_completion_quiet_generation_has_no_meta_prompt(text_page: Page, llm: StandInLLM) -> None:
    llm.queue("quiet answer")
    text_page.evaluate("async () => await SillyTavern.getContext().generateQuietPrompt({ quietPrompt: 'Summarise.' })")
    request = llm.generation_requests()[-1]
    assert "img-prompt" not in request.prompt


def test_text_completion_prompt_carries_the_cast_block(text_page: Page, llm: StandInLLM,
                                                      images: StandInImageServer) -> None:
    look = "long silver hair, green eyes, white robe"
    text_page.evaluate("async (c) => await SillyTavern.getContext().executeSlashCommandsWithOptions(c)",
                       f"/iig-appearance name=Seraphina {look}")
    try:
        llm.queue("She smiles. " + tag("Seraphina tending a glade of glowing flowers") + " The forest hums.")
        stpage.send(text_page, "Show me the glade.")
        stpage.wait_idle(text_page)
        request = llm.generation_requests()[-1]
        assert f"- Seraphina: {look}" in request.prompt[-5000:], "the cast block is in the meta-prompt"
        images.wait_for_requests(1)
        assert look in images.prompts()[-1]
    finally:
        # This module's SillyTavern is its own, but its other tests must not see her look.
        text_page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions("
                           "'/iig-appearance name=Seraphina reset=true')")


def test_text_completion_with_the_prompt_writer(text_page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    stpage.open_extension_drawer(text_page)
    text_page.select_option("#inline_images_promptMode", "separate")
    try:
        story = ("The ferry left the quay in thick fog. Gulls followed it out past the breakwater. "
                 "On deck, an old woman fed them crusts from a paper bag while the horn sounded twice.")
        llm.queue(story)
        stpage.send(text_page, "Take the ferry.")
        stpage.wait_idle(text_page)
        text_page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)
        requests = llm.generation_requests()
        assert "img-prompt" not in requests[-2].prompt, "the story request has no instructions"
        assert "[Image prompt writer]" in requests[-1].prompt
        last = text_page.locator("#chat .mes").last.locator(".mes_text")
        # About one picture per 250 words: this short reply gets one.
        expect(last.locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    finally:
        stpage.open_extension_drawer(text_page)
        text_page.select_option("#inline_images_promptMode", "inline")
