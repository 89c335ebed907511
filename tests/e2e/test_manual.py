"""Manual generation: the message button (Replace / Append), the actions on an image, and
the slash command, each checked in the saved chat."""
from __future__ import annotations

import html

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.gate import Gate
from testbed.images import StandInImageServer
from testbed.llm import Reply, StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import images_in, saved_messages, tag, wait_until

TWO = "First. " + tag("a blue door") + " Second. " + tag("a green window") + " End."


def reply_with_images_off(page: Page, llm: StandInLLM, text: str = TWO) -> int:
    """A reply whose tags were not drawn (the extension was off while it arrived)."""
    stpage.open_extension_drawer(page)
    page.locator("#inline_images_enabled").uncheck()
    llm.queue(text)
    stpage.send(page, "Draw later.")
    stpage.wait_idle(page)
    stpage.open_extension_drawer(page)  # sending closed the panel
    page.locator("#inline_images_enabled").check()
    page.click("#extensions-settings-button .drawer-toggle")  # close it again
    return stpage.last_index(page)


def mes(page: Page, index: int):  # type: ignore[no-untyped-def]
    return page.locator(f"#chat .mes[mesid='{index}']")


def press_images_button(page: Page, index: int, choice: str) -> None:
    block = mes(page, index)
    block.locator(".extraMesButtonsHint").click()
    button = block.locator(".iig-mes-button")
    expect(button).to_be_visible()
    button.click()
    stpage.popup_click(page, choice)


def saved_text(st: SillyTavern, page: Page, index: int) -> str:
    return str(saved_messages(st, page)[index]["mes"])


def test_button_shows_on_replies_but_not_on_the_users_messages(page: Page, llm: StandInLLM) -> None:
    llm.queue("No pictures here.")
    stpage.send(page, "Plain.")
    stpage.wait_idle(page)
    plain = stpage.last_index(page)
    index = reply_with_images_off(page, llm)
    expect(mes(page, index).locator(".iig-mes-button")).not_to_have_class("displayNone")
    # A reply without tags has it too: the prompt writer can place some (see test_prompt_writer).
    expect(mes(page, plain).locator(".iig-mes-button")).not_to_have_class("displayNone")
    assert "displayNone" in (mes(page, plain - 1).locator(".iig-mes-button").get_attribute("class") or "")


def test_append_draws_only_missing_images(page: Page, llm: StandInLLM, images: StandInImageServer,
                                          sillytavern: SillyTavern) -> None:
    index = reply_with_images_off(page, llm)
    assert images.requests == []
    press_images_button(page, index, "Generate missing images")
    expect(mes(page, index).locator(".mes_text img[data-iig]")).to_have_count(2, timeout=30_000)
    wait_until(lambda: len(images_in(saved_text(sillytavern, page, index))) == 2, what="2 images saved")
    # Append again: nothing is missing, nothing is drawn.
    before = len(images.requests)
    press_images_button(page, index, "Generate missing images")
    expect(page.locator("#toast-container .toast", has_text="0 image(s) added to the message")).to_have_count(1, timeout=10_000)
    assert len(images.requests) == before


def test_replace_redraws_every_image(page: Page, llm: StandInLLM, images: StandInImageServer,
                                     sillytavern: SillyTavern) -> None:
    llm.queue(TWO)
    stpage.send(page, "Now.")
    index = stpage.last_index(page)
    expect(mes(page, index).locator(".mes_text img[data-iig]")).to_have_count(2, timeout=30_000)
    stpage.wait_idle(page)
    old = [s for s, _ in images_in(stpage.last_message_text(page))]
    press_images_button(page, index, "Replace all images")
    wait_until(lambda: (lambda now: len(now) == 2 and not set(now) & set(old))(
        [s for s, _ in images_in(saved_text(sillytavern, page, index))]), what="two new images saved")
    assert len(images.requests) == 4
    text = saved_text(sillytavern, page, index)
    assert text.count("<img data-iig") == 2 and tag("a blue door") in text


def test_the_viewers_regenerate_edit_and_delete_change_the_saved_message(page: Page, llm: StandInLLM, images: StandInImageServer,
                                                  sillytavern: SillyTavern) -> None:
    llm.queue(TWO)
    stpage.send(page, "Now.")
    index = stpage.last_index(page)
    pictures = mes(page, index).locator(".mes_text img[data-iig]")
    expect(pictures).to_have_count(2, timeout=30_000)
    stpage.wait_idle(page)
    first_src = pictures.nth(0).get_attribute("src")

    pictures.nth(0).click()
    page.locator("dialog.iig-viewer[open] .iig-viewer-regenerate").click()
    wait_until(lambda: images_in(saved_text(sillytavern, page, index))[0][0] != first_src, what="first image redrawn")
    assert len(images.requests) == 3

    pictures.nth(1).click()
    page.locator("dialog.iig-viewer[open] .iig-viewer-edit").click()
    stpage.popup_input(page, 'a green window with "red" shutters')
    def second_title() -> str:
        found = images_in(saved_text(sillytavern, page, index))
        return html.unescape(found[1][1]) if len(found) == 2 else ""

    wait_until(lambda: second_title() == 'a green window with "red" shutters', what="edited prompt drawn")
    text = saved_text(sillytavern, page, index)
    assert "a green window\">" not in text and "with &quot;red&quot; shutters\">" in text
    assert images.prompts()[-1].endswith('a green window with "red" shutters')

    pictures.nth(0).click()
    page.locator("dialog.iig-viewer[open] .iig-viewer-delete").click()
    wait_until(lambda: len(images_in(saved_text(sillytavern, page, index))) == 1, what="one image left")
    assert tag("a blue door") in saved_text(sillytavern, page, index), "the tag stays"
    expect(pictures).to_have_count(1)


def test_slash_command_generates_for_a_message(page: Page, llm: StandInLLM, images: StandInImageServer,
                                               sillytavern: SillyTavern) -> None:
    index = reply_with_images_off(page, llm)
    result = page.evaluate("""async (i) => (await SillyTavern.getContext()
        .executeSlashCommandsWithOptions(`/inline-images mode=append ${i}`)).pipe""", index)
    assert result == "2"
    wait_until(lambda: len(images_in(saved_text(sillytavern, page, index))) == 2, what="2 images saved")
    result = page.evaluate("async () => (await SillyTavern.getContext().executeSlashCommandsWithOptions('/iig mode=replace')).pipe")
    assert result == "2"
    assert len(images.requests) == 4


def test_manual_generation_is_refused_while_the_message_streams(page: Page, llm: StandInLLM) -> None:
    hold = Gate()
    llm.queue(Reply(["Start. " + tag("a slow river") + " ", hold, "End."]))
    stpage.send(page, "Slowly.")
    index = stpage.last_index(page)
    outcome = page.evaluate("""async (i) => { try { await SillyTavern.getContext()
        .executeSlashCommandsWithOptions(`/inline-images ${i}`, { handleExecutionErrors: false }); return 'ran'; }
        catch (e) { return String(e.message ?? e); } }""", index)
    hold.open()
    stpage.wait_idle(page)
    assert "still being written" in outcome
