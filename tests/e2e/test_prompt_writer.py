"""The prompt writer, in real SillyTavern: in `separate` mode the story model gets no
instructions and a second request places the image prompts; in `auto` mode only a long reply
without tags gets one; bad answers, swipes, continues, deletions and chat switches are
handled without writing anything wrong."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.gate import Gate
from testbed.images import StandInImageServer
from testbed.llm import LLMRequest, Reply, StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import IMG_OF_OURS, saved_messages, tag, wait_until

WRITER_MARK = "[Image prompt writer]"

STORY = ("The caravan reached the oasis at dusk, camels groaning under their loads. Palm shadows stretched "
         "long across the sand while the drivers unloaded water skins and bolts of bright cloth. "
         "Amira climbed the dune behind the well and watched the sun sink into a sea of copper haze.\n\n"
         "Night came quickly in the desert. The fires were lit, and the smell of roasting flatbread drifted "
         "between the tents. Somewhere a drum began, slow at first, then faster, until half the camp was "
         "clapping along. Old Tarek told the story of the buried city again, and the children pretended "
         "not to be frightened.\n\n"
         "Long after midnight, Amira woke to a strange silence. The drum had stopped, the fires were embers, "
         "and on the ridge above the camp stood a rider she had never seen, his horse as pale as the moon.\n\n"
         "She did not call out. She watched him the way one watches a storm on the horizon, counting breaths, "
         "waiting to learn which way it would turn. The rider lifted one hand, slowly, as if in greeting, and "
         "then turned his horse and was gone behind the dune.")


def writer_requests(llm: StandInLLM) -> list[LLMRequest]:
    return [r for r in llm.generation_requests() if WRITER_MARK in json.dumps(r.body)]


def story_requests(llm: StandInLLM) -> list[LLMRequest]:
    return [r for r in llm.generation_requests() if WRITER_MARK not in json.dumps(r.body)]


def set_mode(page: Page, mode: str) -> None:
    stpage.open_extension_drawer(page)
    page.select_option("#inline_images_promptMode", mode)


def settled(page: Page, timeout: float = 30_000) -> None:
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=timeout)


def answer(*items: tuple[str, str]) -> str:
    return json.dumps({"images": [{"quote": q, "prompt": p} for q, p in items]})


def strip_ours(text: str) -> str:
    import re
    return re.sub(r'<img-prompt="[^"]*">', "", IMG_OF_OURS.sub("", text))


def test_separate_mode_places_the_writers_prompts_and_keeps_the_models_text(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    set_mode(page, "separate")
    llm.queue(STORY, answer(("watched the sun sink", "a woman on a dune watching a copper sunset over an oasis"),
                            ("stood a rider", "a pale horse and rider on a moonlit desert ridge")))
    stpage.send(page, "We reach the oasis.")
    stpage.wait_idle(page)
    settled(page)
    story = story_requests(llm)[-1]
    assert not any("img-prompt" in str(m["content"]) for m in story.messages), "the story model got no instructions"
    assert len(writer_requests(llm)) == 1
    assert "The passage to illustrate:" in json.dumps(writer_requests(llm)[0].body)
    saved = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]["mes"]).count("data-iig") == 2 and m,
                       what="two pictures in the saved reply")
    assert 'copper haze.<img-prompt="a woman on a dune watching a copper sunset over an oasis">' in saved
    assert 'as pale as the moon.<img-prompt="a pale horse and rider on a moonlit desert ridge">' in saved
    assert strip_ours(saved) == STORY, "apart from the tags and pictures, the text is the model's"
    expect(page.locator("#chat .mes").last.locator(".mes_text img[data-iig]")).to_have_count(2)


def test_auto_mode_asks_the_writer_only_for_a_long_reply_without_tags(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    set_mode(page, "auto")
    llm.queue("Short. " + tag("a lantern on a pier") + " " + STORY)
    stpage.send(page, "Go.")
    stpage.wait_idle(page)
    settled(page)
    assert writer_requests(llm) == [], "a reply with tags needs no writer"
    assert any("img-prompt" in str(m["content"]) for m in story_requests(llm)[-1].messages), "auto keeps the instructions"

    llm.queue(STORY)  # the writer's answer comes from the stand-in writer
    stpage.send(page, "And then?")
    stpage.wait_idle(page)
    settled(page)
    assert len(writer_requests(llm)) == 1
    # The writer's own request carries no meta-prompt (it is not a generation of the chat),
    # and reads the earlier reply without its tags.
    asked = writer_requests(llm)[0].messages
    assert not any("img-prompt" in str(m["content"]) or "illustrate the story. About every" in str(m["content"]) for m in asked)
    # About one picture per 250 words: the stand-in writer picks one moment of this reply.
    expect(page.locator("#chat .mes").last.locator(".mes_text img[data-iig]")).to_have_count(1, timeout=30_000)

    llm.queue("Too short for the writer.")
    stpage.send(page, "Hm?")
    stpage.wait_idle(page)
    settled(page)
    assert len(writer_requests(llm)) == 1, "a short reply without tags gets no writer"


def test_a_useless_answer_is_retried_once_then_the_message_is_left_alone(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM) -> None:
    set_mode(page, "separate")
    llm.queue(STORY, "I could not find anything to draw.", '{"images": [{"quote": "x", "prompt": ""}]')
    stpage.send(page, "Tell me.")
    stpage.wait_idle(page)
    settled(page)
    assert len(writer_requests(llm)) == 2, "one retry, no more"
    wait_until(lambda: any("no usable image prompts" in t for t in stpage.toasts(page)), what="a clear message")
    assert saved_messages(sillytavern, page)[-1]["mes"] == STORY

    # Prose around broken JSON, duplicates and a quote that is not in the text still give pictures.
    llm.queue(STORY, 'Sure! Here you go:\n```json\n{"images": [{"quote": "Night came quickly", "prompt": "desert camp fires at night"},'
                     ' {"quote": "Night came", "prompt": "Desert camp fires at night"}, {"quote": "not in the story at all",'
                     ' "prompt": "a buried city under the sand"},]}\n```\nHope that helps!')
    stpage.send(page, "More.")
    stpage.wait_idle(page)
    settled(page)
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]["mes"]).count("data-iig") == 2 and m,
                      what="two pictures from the messy answer")
    assert 'quickly in the desert.<img-prompt="desert camp fires at night">' in text
    assert '<img-prompt="a buried city under the sand">' in text
    assert strip_ours(text) == STORY


def gated_writer(llm: StandInLLM) -> Gate:
    gate = Gate()
    llm.queue(STORY, Reply([gate, answer(("Night came quickly", "desert camp fires at night"))]))
    return gate


def test_deleting_the_message_or_switching_chats_during_the_request_writes_nothing(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer, console: list[str]) -> None:
    set_mode(page, "separate")
    gate = gated_writer(llm)
    stpage.send(page, "Deleted soon.")
    stpage.wait_idle(page)
    llm.wait_for_requests(2)
    expect(page.locator("#chat .mes").last.locator('[data-iig-state="writing"]')).to_have_count(1)
    page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions('/cut 2')")
    gate.open()
    settled(page)
    assert len(saved_messages(sillytavern, page)) == 2
    assert images.requests == []

    gate = gated_writer(llm)
    stpage.send(page, "Switch soon.")
    stpage.wait_idle(page)
    wait_until(lambda: len(writer_requests(llm)) == 2, what="the second writer request")
    chat = stpage.current_chat_file(page)
    stpage.new_chat(page)
    gate.open()
    settled(page)
    page.evaluate("async (f) => await SillyTavern.getContext().openCharacterChat(f)", chat)
    page.wait_for_function("(f) => SillyTavern.getContext().getCurrentChatId() === f", arg=chat)
    settled(page)
    assert stpage.last_message_text(page) == STORY, "the chat left during the request is untouched"
    assert images.requests == []
    assert not [line for line in console if line.startswith("error:") and "Inline Images" in line]


def test_a_swipe_during_the_request_leaves_both_swipes_alone(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM) -> None:
    set_mode(page, "separate")
    gate = gated_writer(llm)
    stpage.send(page, "Swipe soon.")
    stpage.wait_idle(page)
    llm.wait_for_requests(2)
    other = "Another telling here."
    llm.queue(other)
    page.locator("#chat .last_mes .swipe_right").click(timeout=10_000)
    page.wait_for_function("() => (SillyTavern.getContext().chat.at(-1).swipe_id ?? 0) === 1")
    stpage.wait_idle(page)
    gate.open()
    settled(page)
    message: dict[str, Any] = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]) and len(m.get("swipes", [])) == 2 and m,
                                         what="both swipes saved")
    assert message["swipes"][0] == STORY and message["swipes"][1] == other


def test_a_continue_is_illustrated_only_in_its_new_part(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM) -> None:
    set_mode(page, "separate")
    llm.queue(STORY, answer(("Night came quickly", "desert camp fires at night")))
    stpage.send(page, "Begin.")
    stpage.wait_idle(page)
    settled(page)
    more = " At dawn the rider was gone, and only hoofprints led away toward the buried city in the east."
    llm.queue(more, answer(("hoofprints led away", "hoofprints in the sand leading to distant ruins at dawn")))
    # As a user does: the options menu's Continue.
    page.click("#options_button")
    page.locator("#option_continue").click()
    llm.wait_for_requests(3)
    stpage.wait_idle(page)
    wait_until(lambda: len(writer_requests(llm)) == 2, what="the writer asked about the continue")
    settled(page)
    asked = json.dumps(writer_requests(llm)[-1].body)
    passage = asked.split("The passage to illustrate:", 1)[1]
    assert "hoofprints" in passage and "caravan reached" not in passage, "only the new part goes to the writer"
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]["mes"]).count("data-iig") == 2 and m,
                      what="a picture in each part")
    assert 'toward the buried city in the east.<img-prompt="hoofprints in the sand leading to distant ruins at dawn">' in text
    # SillyTavern joins a continuation to the message with a space.
    assert strip_ours(text) == STORY + " " + more


@pytest.fixture(scope="module")
def writer_llm() -> Iterator[StandInLLM]:
    """A second stand-in LLM, reached only through a Connection Profile."""
    server = StandInLLM().start()
    yield server
    server.stop()


def test_the_writer_uses_its_connection_profile_while_the_story_uses_the_main_connection(
        page: Page, llm: StandInLLM, writer_llm: StandInLLM, images: StandInImageServer) -> None:
    writer_llm.reset()
    page.evaluate("""(url) => {
      const c = SillyTavern.getContext();
      c.extensionSettings.connectionManager ??= { profiles: [] };
      c.extensionSettings.connectionManager.profiles ??= [];
      c.extensionSettings.connectionManager.profiles.push({ id: 'iig-test-writer', name: 'Writer stand-in', mode: 'cc',
        api: 'custom', 'api-url': url, model: 'stand-in-writer' });
    }""", writer_llm.url)
    set_mode(page, "separate")
    stpage.set_field(page, "#inline_images_writerProfile", "Writer stand-in")
    llm.queue(STORY)
    stpage.send(page, "Where are we?")
    stpage.wait_idle(page)
    settled(page)
    assert writer_requests(llm) == [], "no writer request went to the story model"
    assert len(story_requests(llm)) == 1
    assert len(writer_requests(writer_llm)) == 1 and story_requests(writer_llm) == []
    expect(page.locator("#chat .mes").last.locator(".mes_text img[data-iig]")).to_have_count(1, timeout=30_000)

    # A profile that is not there: one clear message, the message untouched.
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_writerProfile", "No such profile")
    llm.queue(STORY)
    stpage.send(page, "Again.")
    stpage.wait_idle(page)
    settled(page)
    wait_until(lambda: any("no connection profile called" in t for t in stpage.toasts(page)), what="a clear message")
    assert stpage.last_message_text(page) == STORY


def test_write_image_prompts_from_the_messages_button_in_inline_mode(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    llm.queue(STORY)
    stpage.send(page, "A story without pictures.")
    stpage.wait_idle(page)
    settled(page)
    assert writer_requests(llm) == [], "inline mode asks no writer by itself"
    llm.queue(answer(("Night came quickly", "desert camp fires at night")))
    block = page.locator("#chat .mes").last
    block.hover()
    block.locator(".extraMesButtonsHint").click()
    block.locator(".iig-mes-button").click()
    stpage.popup_click(page, "Write image prompts")
    expect(block.locator(".mes_text img[data-iig]")).to_have_count(1, timeout=30_000)
    settled(page)
    assert len(writer_requests(llm)) == 1
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]["mes"]).count("data-iig") == 1 and m,
                      what="the picture saved")
    assert strip_ours(text) == STORY


def test_the_writers_instructions_are_a_preset_of_their_own(page: Page, llm: StandInLLM) -> None:
    set_mode(page, "separate")
    page.select_option("#inline_images_writer_preset", "NAI 4.5 Full")
    assert "Danbooru" in page.locator("#inline_images_writer_preset_text").input_value()
    # As with the meta-prompt: a built-in is copied with Save As, then edited and saved.
    page.click("#inline_images_writer_preset_saveas")
    stpage.popup_input(page, "House rules")
    expect(page.locator("#inline_images_writer_preset")).to_have_value("House rules")
    page.fill("#inline_images_writer_preset_text", "House rules for pictures: pick {{wanted}} of at most {{max}}.\n{{cast}}")
    page.click("#inline_images_writer_preset_save")
    llm.queue(STORY)
    stpage.send(page, "Go.")
    stpage.wait_idle(page)
    settled(page)
    system = str(writer_requests(llm)[-1].messages[0]["content"])
    assert "House rules for pictures: pick 1 of at most 6." in system
    assert '{"images"' in system, "the answer form is kept whatever the preset says"
    # The meta-prompt's presets are untouched.
    assert page.locator("#inline_images_preset").input_value() == "Default"
