"""Nothing is ever lost: replies and pictures survive chat switches, edits and failures."""
from __future__ import annotations

import html

from playwright.sync_api import Locator, Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import Reply, StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import chat_file, images_in, reply_with_a_held_picture, saved_messages, tag, wait_until


def words(n: int, seed: str) -> str:
    vocabulary = ["snow", "lantern", "river", "cabin", "quiet", "wolf", "pine", "ember", "moon", "path"]
    return " ".join(f"{vocabulary[(i * 7 + len(seed)) % len(vocabulary)]}" for i in range(n)) + "."


def story(n_tags: int, words_between: int, label: str) -> str:
    parts = []
    for i in range(n_tags):
        parts.append(words(words_between, label) + " " + tag(f"{label} picture {i + 1}") + "\n\n")
    return "".join(parts) + "The end of " + label + "."


def test_reply_survives_a_new_chat_50_ms_after_it_arrives_while_pictures_are_pending(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    images.behaviour.latency = 3.0
    llm.settings.chunk_chars = 60
    llm.settings.chunk_delay = 0.01
    # 1. A first chat whose twelve pictures are all drawn and saved.
    llm.queue(story(12, 100, "chat A"))
    stpage.send(page, "Tell me a long story.")
    stpage.wait_idle(page)
    wait_until(lambda: len(images_in(saved_messages(sillytavern, page)[-1]["mes"])) == 12, timeout=60,
               what="the 12 pictures of chat A saved")
    # 2. Chat B: two pictures finish while the reply streams, two are pending when it ends.
    stpage.new_chat(page)
    chat_b = stpage.current_chat_file(page)
    early = words(60, "B") + " " + tag("chat B picture 1") + " " + words(60, "B") + " " + tag("chat B picture 2") + "\n\n"
    late = words(120, "B") + " " + tag("chat B picture 3") + " " + words(120, "B") + " " + tag("chat B picture 4") + " Fin."
    llm.queue(Reply([early, 4.0, late]))
    # Watch which chat each save request of the page is for, and who made it.
    page.evaluate("""() => {
        globalThis.__saves = [];
        const fetch = globalThis.fetch;
        globalThis.fetch = function (url, ...rest) {
            if (String(url).includes('/api/chats/save')) {
                globalThis.__saves.push({ chat: SillyTavern.getContext().getCurrentChatId(), by: new Error().stack });
            }
            return fetch.call(this, url, ...rest);
        };
    }""")
    # 3. About 50 ms after MESSAGE_RECEIVED for that reply, a new chat.
    page.evaluate("""() => {
        const { eventSource, eventTypes } = SillyTavern.getContext();
        globalThis.__switched = false;
        eventSource.once(eventTypes.MESSAGE_RECEIVED, () => setTimeout(async () => {
            await SillyTavern.getContext().executeSlashCommandsWithOptions('/newchat');
            globalThis.__switched = true;
        }, 50));
    }""")
    stpage.send(page, "And another one.")
    page.wait_for_function("() => globalThis.__switched === true", timeout=60_000)
    assert stpage.current_chat_file(page) != chat_b
    page.wait_for_timeout(10_000)
    page.evaluate("async (name) => await SillyTavern.getContext().openCharacterChat(name)", chat_b)
    page.wait_for_function("(name) => SillyTavern.getContext().getCurrentChatId() === name", arg=chat_b)
    expected = html.unescape(early + late).strip()

    def reply_text(messages: list[dict]) -> str:  # type: ignore[type-arg]
        return messages[-1]["mes"] if len(messages) >= 3 else ""

    in_memory = stpage.chat(page)
    assert len(in_memory) == 3, [m["mes"][:80] for m in in_memory]
    assert "Fin." in reply_text(in_memory)
    on_disk = sillytavern.read_chat(chat_file(sillytavern, chat_b))[1:]
    assert len(on_disk) == 3, [m["mes"][:80] for m in on_disk]
    assert "Fin." in reply_text(on_disk)
    assert expected.split("\n")[0][:200] in reply_text(on_disk)
    # SillyTavern's own save of the finished reply went to chat B, not to the chat opened
    # after it (which is what happened when a save of ours held SillyTavern's save flag).
    saves = page.evaluate("() => globalThis.__saves")
    # (Its stack names onFinishStreaming; a later save of the new chat may too, through the
    # await chain of the switch that the reply's listener started.)
    own = [s["chat"] for s in saves if "onFinishStreaming" in s["by"] and "saveChatConditional" in s["by"]]
    assert own and own[0] == chat_b, own
    # And the extension's own copy, taken as the reply arrived, went there too.
    # (SillyTavern also sends MESSAGE_RECEIVED for the new chat's greeting: saved at once too.)
    early = [s["chat"] for s in saves if "saveNow" in s["by"]]
    assert early and early[0] == chat_b, early


def idle(page: Page) -> bool:
    return bool(page.evaluate("() => globalThis.inlineImages.idle()"))


def test_a_picture_finishes_in_its_own_chat_and_is_written_when_that_chat_opens_again(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    slow = reply_with_a_held_picture(page, llm, images, "an abandoned mill", before="Old chat. ")
    first = stpage.current_chat_file(page)
    wait_until(lambda: "Old chat." in saved_messages(sillytavern, page)[-1]["mes"], what="reply saved")
    stpage.new_chat(page)
    second = stpage.current_chat_file(page)
    slow.open()
    wait_until(lambda: images.requests[0].finished is not None, what="the picture finished drawing")
    wait_until(lambda: idle(page), what="the extension idle")
    # Finished while its chat was closed: nothing was written anywhere yet.
    assert not images_in(chat_file(sillytavern, first).read_text())
    assert page.evaluate("() => SillyTavern.getContext().chat.length") == 1
    expect(page.locator("#chat img[data-iig]")).to_have_count(0)
    assert page.evaluate("() => globalThis.inlineImages.kept.count()") == 1
    # Back in the first chat, it lands after its own tag, on screen and on disk.
    page.evaluate("async (name) => await SillyTavern.getContext().openCharacterChat(name)", first)
    expect(page.locator("#chat .mes").last.locator("img[data-iig]")).to_have_count(1, timeout=15_000)
    text = wait_until(lambda: (m := sillytavern.read_chat(chat_file(sillytavern, first))[-1]["mes"]) and images_in(m) and m,
                      what="the picture saved in the first chat")
    assert text.startswith("Old chat. " + tag("an abandoned mill") + '<img data-iig="1"')
    assert text.endswith(" Done.")
    assert page.evaluate("() => globalThis.inlineImages.kept.count()") == 0
    # The other chat never got it.
    assert not images_in(chat_file(sillytavern, second).read_text())


def test_a_kept_picture_survives_a_page_reload(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    slow = reply_with_a_held_picture(page, llm, images, "a lighthouse in fog", before="Before reload. ")
    first = stpage.current_chat_file(page)
    stpage.new_chat(page)
    slow.open()
    wait_until(lambda: images.requests[0].finished is not None, what="the picture finished drawing")
    wait_until(lambda: idle(page), what="the extension idle")
    # SillyTavern saves settings with a debounce; wait until the record is on the server.
    wait_until(lambda: "a lighthouse in fog" in (sillytavern.user_dir / "settings.json").read_text(),
               what="the kept picture in settings.json")
    stpage.open_app(page, sillytavern.url)
    stpage.open_character(page)
    page.evaluate("async (name) => await SillyTavern.getContext().openCharacterChat(name)", first)
    text = wait_until(lambda: (m := sillytavern.read_chat(chat_file(sillytavern, first))[-1]["mes"]) and images_in(m) and m,
                      what="the picture saved after the reload")
    assert [html.unescape(p) for _s, p in images_in(text)] == ["a lighthouse in fog"]
    assert tag("a lighthouse in fog") + '<img data-iig="1"' in text


def test_a_kept_picture_whose_message_was_deleted_meanwhile_is_not_written(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    slow = reply_with_a_held_picture(page, llm, images, "a sunken bell")
    first = stpage.current_chat_file(page)
    stpage.new_chat(page)
    slow.open()
    wait_until(lambda: images.requests[0].finished is not None, what="the picture finished drawing")
    wait_until(lambda: idle(page), what="the extension idle")
    # The user's other tab (or a restore) changed the old chat: its reply is gone.
    path = chat_file(sillytavern, first)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    page.evaluate("async (name) => await SillyTavern.getContext().openCharacterChat(name)", first)
    page.wait_for_function("(name) => SillyTavern.getContext().getCurrentChatId() === name", arg=first)
    wait_until(lambda: page.evaluate("() => globalThis.inlineImages.kept.count()") == 0, what="the record dropped")
    assert len(stpage.chat(page)) == len(lines) - 2
    assert not any(images_in(m["mes"]) for m in stpage.chat(page))


def test_failed_pictures_are_retried_by_themselves(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    images.behaviour.fail_first = 2
    prompts = [f"retry picture {i}" for i in range(1, 5)]
    llm.queue(" ".join(f"Part {i}. {tag(p)}" for i, p in enumerate(prompts, 1)) + " End.")
    stpage.send(page, "Four pictures.")
    # The box of a picture being tried again says which attempt runs.
    retrying = page.locator("#chat .mes").last.locator('[data-iig-state="pending"]', has_text="attempt 2 of 3")
    expect(retrying.first).to_be_visible(timeout=30_000)
    stpage.wait_idle(page)
    expect(page.locator("#chat .mes").last.locator("img[data-iig]")).to_have_count(4, timeout=60_000)
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]["mes"]) and len(images_in(m)) == 4 and m,
                      what="4 pictures saved")
    assert [html.unescape(p) for _s, p in images_in(text)] == prompts
    outcomes = [r.outcome for r in images.requests]
    assert outcomes.count("http_error") == 2 and outcomes.count("ok") == 4, outcomes


def reply_with_a_failed_picture(page: Page, llm: StandInLLM, images: StandInImageServer, text: str) -> Locator:
    """With no retries, a reply whose one picture fails: its failed box."""
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_retries", "0")
    page.click("#extensions-settings-button .drawer-toggle")
    images.behaviour.fail_first = 1
    llm.queue(text)
    stpage.send(page, "Go on.")
    stpage.wait_idle(page)
    failed = page.locator("#chat .mes").last.locator('[data-iig-state="failed"]')
    expect(failed).to_have_count(1, timeout=30_000)
    return failed


def test_with_no_retries_a_failed_box_says_why_and_a_click_draws_it(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    failed = reply_with_a_failed_picture(page, llm, images, "A door. " + tag("a door that fails once") + " Closed.")
    assert "a door that fails once" in (failed.get_attribute("title") or "")
    assert len(images.requests) == 1
    failed.click()
    expect(page.locator("#chat .mes").last.locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    wait_until(lambda: len(images_in(saved_messages(sillytavern, page)[-1]["mes"])) == 1, what="the picture saved")


def test_a_failed_box_survives_a_page_reload_and_a_click_draws_it(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    reply_with_a_failed_picture(page, llm, images, "A gate. " + tag("a gate that fails before the reload") + " Shut.")
    chat = stpage.current_chat_file(page)
    # SillyTavern saves settings with a debounce; wait until the record is on the server.
    wait_until(lambda: "a gate that fails before the reload" in (sillytavern.user_dir / "settings.json").read_text(),
               what="the failed picture in settings.json")
    stpage.open_app(page, sillytavern.url)
    stpage.open_character(page)
    page.evaluate("async (name) => await SillyTavern.getContext().openCharacterChat(name)", chat)
    failed = page.locator("#chat .mes").last.locator('[data-iig-state="failed"]')
    expect(failed).to_have_count(1, timeout=30_000)
    assert "a gate that fails before the reload" in (failed.get_attribute("title") or "")
    failed.click()
    expect(page.locator("#chat .mes").last.locator("img[data-iig]")).to_have_count(1, timeout=30_000)
    wait_until(lambda: len(images_in(saved_messages(sillytavern, page)[-1]["mes"])) == 1, what="the picture saved")
    wait_until(lambda: "a gate that fails before the reload" not in (sillytavern.user_dir / "settings.json").read_text(),
               what="the failed record gone from settings.json")


def open_editor(page: Page, index: int) -> None:
    block = page.locator(f"#chat .mes[mesid='{index}']")
    block.locator(".mes_edit").click()
    expect(page.locator("#curEditTextarea")).to_be_visible()


def test_a_picture_landing_while_the_user_edits_waits_for_the_edit(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    slow = reply_with_a_held_picture(page, llm, images, "a paper lantern", before="Evening. ", after=" Night fell.")
    index = stpage.last_index(page)
    open_editor(page, index)
    box = page.locator("#curEditTextarea")
    box.press("End")
    box.type(" The user adds a line.")
    slow.open()
    wait_until(lambda: images.requests[0].finished is not None, what="the picture finished drawing")
    page.wait_for_timeout(1500)
    # The editor is still there with everything typed; nothing re-rendered under it.
    expect(box).to_be_visible()
    assert box.input_value().endswith("Night fell. The user adds a line.")
    page.locator(f"#chat .mes[mesid='{index}'] .mes_edit_done").click()
    expected = "Evening. " + tag("a paper lantern") + '<img data-iig="1"'
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[index]["mes"]) and images_in(m) and m,
                      what="the picture written after the edit")
    assert text.startswith(expected)
    assert text.endswith(" Night fell. The user adds a line.")


def test_a_tag_deleted_in_the_editor_gets_no_picture_and_leaves_nothing(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    slow = reply_with_a_held_picture(page, llm, images, "a cut scene", before="Keep this. ", after=" And this.")
    index = stpage.last_index(page)
    open_editor(page, index)
    page.locator("#curEditTextarea").fill("Keep this. And this, rewritten.")
    slow.open()
    wait_until(lambda: images.requests[0].finished is not None, what="the picture finished drawing")
    page.wait_for_timeout(800)
    page.locator(f"#chat .mes[mesid='{index}'] .mes_edit_done").click()
    wait_until(lambda: saved_messages(sillytavern, page)[index]["mes"] == "Keep this. And this, rewritten.",
               what="the edit saved")
    wait_until(lambda: idle(page), what="the extension idle")
    page.wait_for_timeout(800)
    assert saved_messages(sillytavern, page)[index]["mes"] == "Keep this. And this, rewritten."
    assert stpage.chat(page)[index]["mes"] == "Keep this. And this, rewritten."


def test_two_pictures_answered_at_the_same_moment_each_keep_their_own_file(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern,
        console: list[str]) -> None:
    from urllib.parse import unquote

    from testbed.png import draw_prompt_png
    # SillyTavern names a saved picture <character>_<time to the millisecond>: two answers
    # handled in the same millisecond share a file, which then holds one or a mix of both.
    stpage.set_streaming(page, False)
    images.behaviour.together = 2
    # Two answers leaving the stand-in together reach the page a few ms apart at most; make
    # the page's clock tick in 1 s steps meanwhile, so they surely get one millisecond name.
    page.evaluate("""() => {
        globalThis.__realNow = Date.now;
        Date.now = () => Math.floor(globalThis.__realNow() / 1000) * 1000;
    }""")
    prompts = ["twin picture left", "twin picture right"]
    llm.queue(f"One. {tag(prompts[0])} Two. {tag(prompts[1])} End.")
    stpage.send(page, "Twins.")
    images.wait_for_requests(2, timeout=30)
    images.behaviour.together = 0  # a picture drawn again is answered alone,
    images.behaviour.latency = 1.2  # and later than the clock's step
    # Both answers handled: from here the clock is real again.
    wait_until(lambda: sum(r.finished is not None for r in images.requests) >= 2, what="both answers sent")
    # (The page saves them a moment later; a redraw is answered 1.2 s later, on the real clock.)
    page.wait_for_timeout(300)
    page.evaluate("() => { Date.now = globalThis.__realNow; }")
    stpage.wait_idle(page)
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[-1]["mes"]) and len(images_in(m)) == 2
                      and page.evaluate("() => globalThis.inlineImages.idle()") and m,
                      timeout=60, what="both pictures saved")
    pictures = images_in(text)
    assert [html.unescape(t) for _s, t in pictures] == prompts
    assert pictures[0][0] != pictures[1][0], "two tags share one file"
    sent = {r.prompt for r in images.requests if r.outcome == "ok"}
    for src, title in pictures:
        path = sillytavern.user_dir / unquote(html.unescape(src)).lstrip("/")
        drawn_for = next(p for p in sent if p.endswith(html.unescape(title)))
        assert path.read_bytes() == draw_prompt_png(drawn_for), f"{src} does not hold the picture of {title!r}"
    # When the page did give both one name (nearly always, with the stepped clock), both were
    # drawn again, once each: SillyTavern may have written a mix of the two into that file.
    # (Playwright hands over console events only while called.)
    page.wait_for_timeout(100)
    if any("two pictures were saved as" in line for line in console):
        assert len(images.requests) == 4, "each picture was drawn again, once"
