"""Things to avoid: the negative prompt that reaches the image server.

In real SillyTavern: the chat's negative (set in the drawer, saved with the chat) goes with every
picture of that chat; a character's avoid text (set in the drawer, saved in the card) and the
persona's only with the pictures whose prompt names them, in the order named; Image Generation's own negative still
comes after ours. A built-in preset's default negative is shown read-only and sent; Save As
copies it into a custom preset, whose own negative can be edited, saved and is kept."""
from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import chat_path, draw_prompts, wait_until
from .test_cast import create_character, member_row, open_fresh, png_card, request_for, slash

# Not test_cast's Mara: a card is found by name, and her description there is another.
TOVA = "Tova Lind"
TOVA_AVOID = "straw hat, eyeglasses"
PERSONA_AVOID = "apron stains, goggles"
CHAT_NEGATIVE = "modern cars, smartphones"
NAI_NEGATIVE = ("lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped, "
                "worst quality, low quality, jpeg artifacts, signature, watermark, blurry")


def sd_own_negative(page: Page) -> str:
    """Image Generation's own negative prompt, which it puts after ours."""
    return str(page.evaluate("() => SillyTavern.getContext().extensionSettings.sd.negative_prompt ?? ''")).strip().strip(",").strip()


def test_the_chats_negative_goes_with_every_picture_and_an_avoid_text_only_with_those_naming_them(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    tova = create_character(page, TOVA, "A harbour pilot.")
    open_fresh(page, TOVA)
    stpage.open_extension_drawer(page)
    # Hers through the drawer, as a user does; the persona's through the command.
    row = member_row(page, tova)
    row.locator(".iig-member-avoid").fill(TOVA_AVOID)
    row.locator(".iig-member-save").click()
    wait_until(lambda: png_card(sillytavern.user_dir / "characters" / tova)["data"]["extensions"]
               .get("inline_images", {}).get("avoid") == TOVA_AVOID, what="her avoid text in the card file")
    persona = str(page.evaluate("() => SillyTavern.getContext().name1"))
    slash(page, f'/iig-appearance name=persona avoid="{PERSONA_AVOID}"')
    expect(page.locator("#inline_images_cast .iig-member-avoid").last).to_have_value(PERSONA_AVOID)
    stpage.set_field(page, "#inline_images_chat_negative", CHAT_NEGATIVE)

    only_tova, only_persona = "Tova coils a rope on the pier", f"{persona} waves from the gangplank"
    both, nobody = f"{persona} and Tova share bread by the fire", "an empty market square in the rain"
    draw_prompts(page, llm, images, [only_tova, only_persona, both, nobody])
    own = sd_own_negative(page)
    expected = {
        only_tova: f"{CHAT_NEGATIVE}, {TOVA_AVOID}",
        only_persona: f"{CHAT_NEGATIVE}, {PERSONA_AVOID}",
        both: f"{CHAT_NEGATIVE}, {PERSONA_AVOID}, {TOVA_AVOID}",  # in the order named
        nobody: CHAT_NEGATIVE,
    }
    for prompt, ours in expected.items():
        # Ours first, then Image Generation's own, as SillyTavern combines them.
        assert request_for(images, prompt).negative == (f"{ours}, {own}" if own else ours), prompt
    # The viewer shows the negative sent with a picture (ours: Image Generation adds its own).
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)
    page.locator(f'#chat .mes_text img[data-iig][alt="{only_tova}"]').click()
    viewer = page.locator("dialog.iig-viewer[open]")
    expect(viewer.locator(".iig-viewer-negative")).to_have_text(expected[only_tova])
    page.keyboard.press("Escape")
    page.locator(f'#chat .mes_text img[data-iig][alt="{nobody}"]').click()
    expect(viewer.locator(".iig-viewer-negative")).to_have_text(CHAT_NEGATIVE)
    page.keyboard.press("Escape")

    # Saved with the chat; another chat has none of it, the avoid texts stay with their owners.
    wait_until(lambda: json.loads(chat_path(sillytavern, page).read_text().splitlines()[0])["chat_metadata"]
               .get("inline_images", {}).get("negative") == CHAT_NEGATIVE, what="the negative in the chat file")
    stpage.new_chat(page)
    expect(page.locator("#inline_images_chat_negative")).to_have_value("")
    fresh = "Tova rows across the bay"
    draw_prompts(page, llm, images, [fresh])
    assert request_for(images, fresh).negative == (f"{TOVA_AVOID}, {own}" if own else TOVA_AVOID)


def test_a_presets_negative_is_shown_and_sent_and_a_custom_copy_keeps_its_own(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    stpage.open_extension_drawer(page)
    negative = page.locator("#inline_images_preset_negative")
    expect(negative).to_have_value("")
    page.select_option("#inline_images_preset", "NAI 4.5 Full")
    expect(negative).to_have_value(NAI_NEGATIVE)
    expect(negative).not_to_be_editable()

    first = "1girl, lighthouse, night"
    draw_prompts(page, llm, images, [first])
    own = sd_own_negative(page)
    assert request_for(images, first).negative == (f"{NAI_NEGATIVE}, {own}" if own else NAI_NEGATIVE)

    # Save As copies it, and the copy's own negative can be changed and saved (sending closed
    # SillyTavern's panel: open it again).
    stpage.open_extension_drawer(page)
    page.click("#inline_images_preset_saveas")
    stpage.popup_input(page, "My NAI")
    expect(page.locator("#inline_images_preset")).to_have_value("My NAI")
    expect(negative).to_have_value(NAI_NEGATIVE)
    expect(negative).to_be_editable()
    negative.fill("lowres, logo, frame")
    page.click("#inline_images_preset_save")
    expect(negative).to_have_value("lowres, logo, frame")
    second = "1boy, harbour, rain"
    draw_prompts(page, llm, images, [second])
    assert request_for(images, second).negative == (f"lowres, logo, frame, {own}" if own else "lowres, logo, frame")

    # Kept in the settings, after a reload too (once SillyTavern's debounced settings save ran).
    def saved() -> Any:
        return json.loads((sillytavern.user_dir / "settings.json").read_text())["extension_settings"].get("inlineImages", {})
    wait_until(lambda: saved().get("presets", {}).get("selected") == "My NAI"
               and saved().get("presetNegatives") == {"My NAI": "lowres, logo, frame"}, what="the preset saved")
    stpage.open_app(page, sillytavern.url)
    stpage.open_extension_drawer(page)
    expect(page.locator("#inline_images_preset")).to_have_value("My NAI")
    expect(page.locator("#inline_images_preset_negative")).to_have_value("lowres, logo, frame")
    stored: Any = page.evaluate("() => SillyTavern.getContext().extensionSettings.inlineImages.presetNegatives")
    assert stored == {"My NAI": "lowres, logo, frame"}
