"""The illustration pipeline in a real SillyTavern: tags in a reply become images in it."""
from __future__ import annotations

import html

import pytest

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.gate import Gate
from testbed.images import StandInImageServer
from testbed.llm import Reply, StandInLLM, StreamError
from testbed.sillytavern import SillyTavern

from .helpers import images_in, reply_with_a_held_picture, saved_messages, tag, wait_until

PREFIX = "best quality, absurdres, masterpiece, "  # Image Generation's default prompt prefix

STORY = ("The snow had not stopped for three days. " + tag("a red fox trotting through snowy pines, dusk")
         + " Mara followed its tracks to the river. " + tag("a frozen river under a pale moon")
         + " On the far bank stood a cabin with one lit window. " + tag("a wooden cabin with a lit window in the snow")
         + " She knocked.")


def drawn(images: StandInImageServer) -> list[str]:
    return [p[len(PREFIX):] if p.startswith(PREFIX) else p for p in images.prompts()]


def last_mes(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#chat .mes").last.locator(".mes_text")


def test_meta_prompt_is_the_last_system_message_even_with_a_neighbour_appending(
        page: Page, llm: StandInLLM) -> None:
    llm.queue("A short reply.")
    stpage.send(page, "Hello there")
    stpage.wait_idle(page)
    messages = llm.generation_requests()[-1].messages
    assert messages[-1]["role"] == "system", messages[-3:]
    assert "img-prompt" in messages[-1]["content"] and "250" in messages[-1]["content"]
    neighbour = [m for m in messages if "[prompt-appender]" in str(m.get("content"))]
    assert len(neighbour) == 1, "the neighbour extension's message should be in the prompt too"
    assert sum("img-prompt" in str(m.get("content")) and m["role"] == "system" for m in messages) == 1


def test_no_meta_prompt_for_quiet_generations_or_impersonation(page: Page, llm: StandInLLM) -> None:
    llm.queue("quiet answer", "impersonated line")
    page.evaluate("async () => await SillyTavern.getContext().generateQuietPrompt({ quietPrompt: 'Summarise the story.' })")
    page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions('/impersonate')")
    requests = wait_until(lambda: llm.generation_requests() if len(llm.generation_requests()) >= 2 else None,
                          what="two generation requests")
    for request in requests[:2]:
        contents = [str(m.get("content")) for m in request.messages]
        assert not any("img-prompt" in c for c in contents), contents[-2:]


def test_no_meta_prompt_for_prompts_other_extensions_build_with_generate_raw(page: Page, llm: StandInLLM) -> None:
    llm.queue("raw answer")
    result = page.evaluate("""async () => await SillyTavern.getContext().generateRaw({
        prompt: [{ role: 'user', content: 'Summarise the scene in five words.' }] })""")
    assert result == "raw answer"
    contents = [str(m.get("content")) for m in llm.generation_requests()[-1].messages]
    assert not any("img-prompt" in c for c in contents), contents


def test_streamed_reply_with_three_tags_ends_with_three_images(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    llm.queue(STORY)
    stpage.send(page, "Follow the fox.")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(3, timeout=30_000)
    stpage.wait_idle(page)
    text = stpage.last_message_text(page)
    pics = images_in(text)
    assert [html.unescape(t) for _, t in pics] == [
        "a red fox trotting through snowy pines, dusk", "a frozen river under a pale moon",
        "a wooden cabin with a lit window in the snow"]
    # Each image stands right after its own tag, and the tags stay for the model to see.
    for prompt in ["a red fox trotting through snowy pines, dusk", "a frozen river under a pale moon"]:
        assert tag(prompt) + '<img data-iig="1"' in text
    assert sorted(drawn(images)) == sorted(html.unescape(t) for _, t in pics)
    # No tag is visible as text.
    expect(last_mes(page)).not_to_contain_text("img-prompt")
    # Saved chat has them, and they survive a reload.
    wait_until(lambda: len(images_in(saved_messages(sillytavern, page)[-1]["mes"])) == 3, what="3 images saved")
    chat_file = stpage.current_chat_file(page)
    page.reload()
    stpage.open_app(page, sillytavern.url)
    stpage.open_character(page)  # opens the character's most recent chat: this one
    assert stpage.current_chat_file(page) == chat_file
    page.wait_for_function("() => SillyTavern.getContext().chat.length >= 3")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(3)
    for img in last_mes(page).locator("img[data-iig]").all():
        page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())


def test_image_is_requested_and_shown_while_the_reply_still_streams(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    hold = Gate()
    llm.queue(Reply(["The fox appeared. ", tag("a red fox in the snow"), " It waited.", hold, " Then it ran."]))
    stpage.send(page, "Look!")
    images.wait_for_requests(1, timeout=20)
    assert not hold.is_open and stpage.is_generating(page)
    img = last_mes(page).locator("img[data-iig]")
    expect(img).to_have_count(1, timeout=20_000)
    assert stpage.is_generating(page), "the image should show before the stream ends"
    assert "Then it ran" not in stpage.last_message_text(page)
    hold.open()
    stpage.wait_idle(page)
    expect(last_mes(page)).to_contain_text("Then it ran.")
    expect(img).to_have_count(1)
    assert len(images.requests) == 1


def test_pending_image_shows_a_placeholder_and_an_unfinished_tag_never_shows(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    hold = Gate()
    slow = images.gate("lighthouse")
    llm.queue(Reply(["Far out, ", tag("a lighthouse in a storm"), " the light turned. ",
                     '<img-prompt="a half-writ', hold, 'ten prompt"> Done.']))
    stpage.send(page, "And then?")
    placeholder = last_mes(page).locator('[data-iig-state="pending"]')
    expect(placeholder).to_have_count(1, timeout=20_000)
    assert placeholder.get_attribute("title") == "a lighthouse in a storm"
    expect(last_mes(page)).not_to_contain_text("img-prompt")
    expect(last_mes(page)).not_to_contain_text("half-writ")
    hold.open()
    slow.open()
    stpage.wait_idle(page)
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(2, timeout=20_000)
    expect(last_mes(page).locator("[data-iig-state]")).to_have_count(0)


def test_non_streamed_reply_gets_its_images(page: Page, llm: StandInLLM, images: StandInImageServer,
                                            sillytavern: SillyTavern) -> None:
    stpage.set_streaming(page, False)
    try:
        llm.queue(STORY)
        stpage.send(page, "Tell it all at once.")
        expect(last_mes(page).locator("img[data-iig]")).to_have_count(3, timeout=30_000)
        assert not llm.generation_requests()[-1].streamed
        wait_until(lambda: len(images_in(saved_messages(sillytavern, page)[-1]["mes"])) == 3, what="3 images saved")
    finally:
        stpage.set_streaming(page, True)


def test_identical_prompts_get_two_images(page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    llm.queue("Twins. " + tag("a grey owl on a branch") + " And again. " + tag("a grey owl on a branch") + " End.")
    stpage.send(page, "Owls?")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(2, timeout=30_000)
    stpage.wait_idle(page)
    text = stpage.last_message_text(page)
    assert text.count(tag("a grey owl on a branch") + '<img data-iig="1"') == 2
    assert drawn(images) == ["a grey owl on a branch", "a grey owl on a branch"]
    srcs = [s for s, _ in images_in(text)]
    assert len(set(srcs)) == 2, "two generations, two files"


def test_next_prompt_keeps_tags_but_not_our_images(page: Page, llm: StandInLLM, images: StandInImageServer,
                                                   sillytavern: SillyTavern) -> None:
    llm.queue("First. " + tag("a misty harbour at dawn") + " Boats.", "Second reply.")
    stpage.send(page, "Start.")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    wait_until(lambda: images_in(saved_messages(sillytavern, page)[-1]["mes"]), what="image saved")
    stpage.send(page, "Continue.")
    stpage.wait_idle(page)
    second = llm.generation_requests()[-1]
    joined = "\n".join(str(m.get("content")) for m in second.messages)
    assert tag("a misty harbour at dawn") in joined
    assert "data-iig" not in joined and "/user/images/" not in joined
    # The saved chat still has the image.
    assert any(images_in(m["mes"]) for m in saved_messages(sillytavern, page))


def continue_reply(page: Page) -> None:
    """Press Continue as a user does (the options menu), and wait until the reply is final."""
    before = page.evaluate("() => SillyTavern.getContext().chat.at(-1).mes")
    page.click("#options_button")
    page.click("#option_continue")
    page.wait_for_function("(b) => SillyTavern.getContext().chat.at(-1).mes !== b", arg=before, timeout=30_000)
    stpage.wait_idle(page)


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "not-streamed"])
def test_continue_keeps_the_pictures_already_in_the_message(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern, streamed: bool) -> None:
    stpage.set_streaming(page, streamed)
    try:
        llm.queue("Part one. " + tag("a lighthouse on a cliff") + " The lamp turns.",
                  " Part two. " + tag("a ship in a storm") + " The end.")
        stpage.send(page, "Begin.")
        expect(last_mes(page).locator("img[data-iig]")).to_have_count(1, timeout=30_000)
        first = wait_until(lambda: images_in(saved_messages(sillytavern, page)[-1]["mes"]), what="first image saved")
        continue_reply(page)
        request = llm.generation_requests()[-1]
        joined = "\n".join(str(m.get("content")) for m in request.messages)
        assert "data-iig" not in joined, "the continued message went out without our images"
        assert request.messages[-1]["role"] == "system" and "img-prompt" in request.messages[-1]["content"]
        expect(last_mes(page).locator("img[data-iig]")).to_have_count(2, timeout=30_000)
        saved = wait_until(lambda: len(images_in(saved_messages(sillytavern, page)[-1]["mes"])) == 2
                           and saved_messages(sillytavern, page)[-1]["mes"], what="both images saved")
        # The first picture is the same file, not drawn again; the text reads on after it.
        assert images_in(saved)[0] == first[0]
        assert drawn(images) == ["a lighthouse on a cliff", "a ship in a storm"]
        assert saved.index("The lamp turns.") < saved.index("Part two.")
    finally:
        stpage.set_streaming(page, True)


def test_regenerate_and_swipe_get_the_meta_prompt(page: Page, llm: StandInLLM) -> None:
    llm.queue("First.", "Regenerated.", "Swiped.")
    stpage.send(page, "Hi.")
    stpage.wait_idle(page)
    page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions('/regenerate')")
    page.wait_for_function("() => SillyTavern.getContext().chat.at(-1).mes === 'Regenerated.'")
    stpage.wait_idle(page)
    page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions('/swipe')")
    page.wait_for_function("() => SillyTavern.getContext().chat.at(-1).mes === 'Swiped.'")
    stpage.wait_idle(page)
    requests = llm.generation_requests()[-3:]
    for request in requests:
        last = request.messages[-1]
        assert last["role"] == "system" and "img-prompt" in last["content"], last


def test_prompt_with_quotes_and_angle_bracket_is_drawn_exactly(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    llm.queue('A sign read: <img-prompt="a shop sign saying \\"OPEN > CLOSED\\", neon"> and that was all.')
    stpage.send(page, "What does the sign say?")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    assert drawn(images) == ['a shop sign saying "OPEN > CLOSED", neon']
    assert last_mes(page).locator("img[data-iig]").get_attribute("title") == 'a shop sign saying "OPEN > CLOSED", neon'
    expect(last_mes(page)).not_to_contain_text("CLOSED")
    expect(last_mes(page)).to_contain_text("and that was all.")


def test_hostile_prompts_run_nothing(page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    hostile = [
        '"><img src=x onerror="window.__pwned=1">',
        "</p><script>window.__pwned=2</script>",
        "x' onload='window.__pwned=3",
    ]
    body = " ".join(f"Part {i}. <img-prompt='{p}'>" if '"' in p else f'Part {i}. <img-prompt="{p}">'
                    for i, p in enumerate(hostile))
    llm.queue(body + " The end.")
    stpage.send(page, "Do your worst.")
    stpage.wait_idle(page)
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#chat script").count() == 0
    assert page.locator("#chat img:not([data-iig])[src='x']").count() == 0
    expect(last_mes(page)).to_contain_text("The end.")


def test_stop_after_the_second_tag_keeps_the_first_two_images(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    hold = Gate()
    llm.queue(Reply(["One. ", tag("a sailing ship"), " Two. ", tag("a lighthouse keeper"), " Three ", hold,
                     tag("a kraken"), " never."]))
    stpage.send(page, "Go.")
    images.wait_for_requests(2, timeout=20)
    hold.reached.wait(10)
    page.click("#mes_stop")
    stpage.wait_idle(page)
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(2, timeout=30_000)
    assert sorted(drawn(images)) == ["a lighthouse keeper", "a sailing ship"]
    wait_until(lambda: len(images_in(saved_messages(sillytavern, page)[-1]["mes"])) == 2, what="2 images saved")


def test_swipe_while_images_pending_puts_them_in_the_right_swipe(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    slow = images.gate("first swipe")
    llm.queue("Swipe zero. " + tag("a castle, first swipe") + " Done.", "Swipe one, no pictures.")
    stpage.send(page, "A castle.")
    images.wait_for_requests(1, timeout=20)
    stpage.wait_idle(page)
    index = stpage.last_index(page)
    # The arrow, as a user swipes (SillyTavern has /swipe only from 1.17.0).
    page.locator("#chat .last_mes .swipe_right").click(timeout=10_000)
    page.wait_for_function("(i) => SillyTavern.getContext().chat[i].swipes?.length === 2", arg=index)
    stpage.wait_idle(page)
    assert images.requests[0].finished is None, "the swipe-0 image was still pending during the swipe"
    slow.open()
    wait_until(lambda: images_in(page.evaluate("(i) => SillyTavern.getContext().chat[i].swipes[0]", index)),
               what="image in swipe 0")
    message = page.evaluate("(i) => SillyTavern.getContext().chat[i]", index)
    assert message["swipe_id"] == 1
    assert message["mes"] == "Swipe one, no pictures."
    assert not images_in(message["swipes"][1])
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(0)


def test_swipe_that_fails_mid_stream_keeps_the_picture_of_its_complete_tag(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    # SillyTavern sends no MESSAGE_RECEIVED when a swipe's stream fails; the picture of the
    # tag that was complete must still be written into that swipe.
    llm.queue("Swipe zero.", Reply(["Swipe one. ", tag("a broken rope bridge"), " It swayed ",
                                    StreamError("the model went away")]))
    stpage.send(page, "A bridge.")
    stpage.wait_idle(page)
    index = stpage.last_index(page)
    page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions('/swipe')")
    page.wait_for_function("(i) => SillyTavern.getContext().chat[i].swipes?.length === 2", arg=index)
    stpage.wait_idle(page)
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    message = wait_until(lambda: (m := page.evaluate("(i) => SillyTavern.getContext().chat[i]", index))
                         and images_in(m["swipes"][1]) and m, what="image in swipe 1")
    assert message["swipe_id"] == 1
    assert [p for _s, p in images_in(message["mes"])] == ["a broken rope bridge"]
    assert message["swipes"][0] == "Swipe zero."


def test_deleting_a_message_while_its_picture_is_pending_drops_the_picture(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    slow = reply_with_a_held_picture(page, llm, images, "a doomed sandcastle")
    before = stpage.chat(page)[:-1]
    page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions('/del 1')")
    page.wait_for_function("(n) => SillyTavern.getContext().chat.length === n", arg=len(before))
    slow.open()
    wait_until(lambda: images.requests[0].finished is not None, what="the picture finished drawing")
    page.wait_for_timeout(1500)
    # The picture went nowhere: the remaining messages are as they were, on screen and saved.
    assert [m["mes"] for m in stpage.chat(page)] == [m["mes"] for m in before]
    expect(page.locator("#chat img[data-iig]")).to_have_count(0)
    assert not any(images_in(m["mes"]) for m in saved_messages(sillytavern, page))


def test_readme_screenshot_shows_pictures_inside_the_reply(page: Page, llm: StandInLLM,
                                                          images: StandInImageServer) -> None:
    """Takes docs/screenshot.png, the picture the README shows: a finished reply with three pictures."""
    from testbed.sillytavern import REPO_ROOT
    llm.queue("The storm broke at midnight. Mara pulled the hood of her cloak low and stepped onto the pier. "
              + tag("a lighthouse on a rocky cliff in a storm at night, waves crashing, dramatic light")
              + "\n\nThe keeper's lamp swept across the water, and for a moment she saw the ship.\n\n"
              + tag("a sailing ship in a harbour at night, a woman in a hooded cloak on the pier")
              + "\n\nBy dawn the storm had passed, and the town woke to a sky the colour of peaches.\n\n"
              + tag("a harbour town at dawn, fishing boats, calm sea")
              + "\n\nShe walked up the hill to the inn.")
    stpage.send(page, "Mara reaches the harbour.")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(3, timeout=30_000)
    img = last_mes(page).locator("img[data-iig]").first
    stpage.wait_idle(page)
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    box = img.bounding_box()
    column = img.evaluate("""(el) => { const p = el.parentElement.getBoundingClientRect();
        const cs = getComputedStyle(el.parentElement);
        const left = p.left + parseFloat(cs.paddingLeft), right = p.right - parseFloat(cs.paddingRight);
        return { x: left, width: right - left }; }""")
    assert box and box["width"] <= column["width"] + 1, "image fits the message width"
    centre_offset = abs((box["x"] + box["width"] / 2) - (column["x"] + column["width"] / 2))
    assert centre_offset < 2, f"image is centred (off by {centre_offset:.1f} px)"
    # Let SillyTavern's own "Generating an image" toasts fade before taking the picture.
    page.wait_for_function("() => !document.querySelector('#toast-container .toast')", timeout=20_000)
    for picture in last_mes(page).locator("img[data-iig]").all():
        page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=picture.element_handle())
    page.set_viewport_size({"width": 1280, "height": 1400})
    last_mes(page).scroll_into_view_if_needed()
    (REPO_ROOT / "docs").mkdir(exist_ok=True)
    page.screenshot(path=str(REPO_ROOT / "docs" / "screenshot.png"))


def test_readme_screenshots_of_a_streaming_reply_and_the_drawer(page: Page, llm: StandInLLM,
                                                                images: StandInImageServer) -> None:
    """Takes docs/streaming.png (a reply still streaming: one picture shown, one being drawn)
    and docs/drawer.png (the settings drawer)."""
    from testbed.sillytavern import REPO_ROOT
    more = Gate()
    drawing = images.gate("castle")
    llm.queue(Reply([
        "The road climbed out of the forest at dawn. " + tag("a forest road at dawn, a rider on a grey horse, pine trees")
        + "\n\nAt the top of the pass the walls came into view.\n\n"
        + tag("a castle on a hill at sunset, banners on the towers") + "\n\nShe rode", more,
        " on towards the gate, where the guards were already waiting."]))
    stpage.send(page, "Ride to the castle.")
    mes = last_mes(page)
    expect(mes.locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    expect(mes.locator('[data-iig-state="pending"]')).to_have_count(1)
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=mes.locator("img[data-iig]").element_handle())
    assert stpage.is_generating(page), "the reply is still streaming"
    # Image Generation's own "Generating an image" toast stays while the second is drawn.
    page.add_style_tag(content="#toast-container { display: none !important; }")
    mes.scroll_into_view_if_needed()
    page.screenshot(path=str(REPO_ROOT / "docs" / "streaming.png"))
    more.open()
    drawing.open()
    stpage.wait_idle(page)
    expect(mes.locator("img[data-iig]")).to_have_count(2, timeout=30_000)

    # The drawer as a new user first sees it: Basics open, the other sections closed.
    page.evaluate("() => localStorage.removeItem('inline-images-open-sections')")
    stpage.open_extension_drawer(page, open_sections=False)
    page.evaluate("""() => document.querySelectorAll('#inline_images_settings details.iig-group')
        .forEach((d) => { d.open = d.dataset.iigGroup === 'basics'; })""")
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.locator("#inline_images_settings").screenshot(path=str(REPO_ROOT / "docs" / "drawer.png"))


def test_failing_backend_marks_the_image_failed_and_keeps_the_text(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    images.behaviour.fail_prompts_containing = "cursed"
    reply = "Before. " + tag("a cursed idol on an altar") + " Between. " + tag("a quiet chapel") + " After."
    llm.queue(reply)
    stpage.send(page, "Enter the chapel.")
    stpage.wait_idle(page)
    failed = last_mes(page).locator('[data-iig-state="failed"]')
    expect(failed).to_have_count(1, timeout=30_000)
    assert "a cursed idol on an altar" in (failed.get_attribute("title") or "")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(1)
    # The failed tag stays in the text as the model wrote it; only the good image was added.
    text = stpage.last_message_text(page)
    assert tag("a cursed idol on an altar") + " Between." in text
    assert images_in(text)[0][1] == "a quiet chapel"


def test_without_image_generation_one_clear_message_and_tags_stay(page: Page, llm: StandInLLM) -> None:
    page.evaluate("""() => { const c = SillyTavern.getContext().SlashCommandParser.commands;
        for (const name of ['sd', 'imagine', 'img', 'image']) delete c[name]; }""")
    reply = "One. " + tag("a red kite over a field") + " Two. " + tag("a stone bridge") + " Three."
    llm.queue(reply)
    stpage.send(page, "Fly.")
    stpage.wait_idle(page)
    toast = page.locator("#toast-container .toast", has_text="Image Generation is not available")
    expect(toast).to_have_count(1, timeout=10_000)
    assert stpage.last_message_text(page) == reply
    expect(last_mes(page).locator('[data-iig-state="failed"]')).to_have_count(2)
    expect(last_mes(page)).not_to_contain_text("img-prompt")
    for part in ["One.", "Two.", "Three."]:
        expect(last_mes(page)).to_contain_text(part)


def test_unconfigured_image_source_one_clear_message_and_tags_stay(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    # Image Generation is on, but its source (OpenAI here) has no API key.
    page.evaluate("() => { SillyTavern.getContext().extensionSettings.sd.source = 'openai'; }")
    reply = "Dawn. " + tag("a heron in the reeds") + " Noon. " + tag("a dragonfly over water") + " Dusk."
    llm.queue(reply)
    stpage.send(page, "The marsh.")
    stpage.wait_idle(page)
    expect(last_mes(page).locator('[data-iig-state="failed"]')).to_have_count(2, timeout=30_000)
    # Ours says it once for both prompts (SillyTavern adds its own per call, as /sd always does).
    ours = page.locator("#toast-container .toast", has_text="An image could not be generated")
    expect(ours).to_have_count(1)
    failed = last_mes(page).locator('[data-iig-state="failed"]').first
    assert "no image" in (failed.get_attribute("title") or "")
    assert stpage.last_message_text(page) == reply
    assert images.requests == []


def test_a_prompt_that_is_an_sd_mode_word_is_drawn_as_a_prompt(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    llm.queue("Look around. " + tag("scene") + " Yes.")
    stpage.send(page, "Describe it.")
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    # In its "scene" mode /sd would first ask the LLM to write a prompt; it must not.
    assert drawn(images) == ["scene."]
    assert len(llm.generation_requests()) == 1


def test_max_pictures_per_reply_leaves_the_rest_to_a_click(page: Page, llm: StandInLLM,
                                                           images: StandInImageServer) -> None:
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_maxPerReply", "2")
    prompts = ["a mill by a stream", "a heron in the reeds", "a bridge of old stone", "a cart on a muddy road"]
    llm.queue(" Text. ".join(tag(p) for p in prompts) + " End.")
    stpage.send(page, "Walk on.")
    stpage.wait_idle(page)
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(2, timeout=30_000)
    over = last_mes(page).locator('[data-iig-state="over"]')
    expect(over).to_have_count(2)
    expect(over.first).to_contain_text("over the limit")
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)
    assert [p for p in prompts if any(r.prompt.endswith(p) for r in images.requests)] == prompts[:2]
    # A click on a box draws that one; the other still waits.
    over.last.click()
    expect(last_mes(page).locator("img[data-iig]")).to_have_count(3, timeout=30_000)
    expect(last_mes(page).locator('[data-iig-state="over"]')).to_have_count(1)
    assert images.prompts()[-1].endswith(prompts[3])
    text = stpage.last_message_text(page)
    assert [title for _src, title in images_in(text)] == [prompts[0], prompts[1], prompts[3]]
