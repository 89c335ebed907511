"""Meta-prompt presets in the drawer: built-ins are read-only; custom ones can be made,
edited, saved, overwritten on confirmation and deleted, and the choice persists."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.llm import StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import wait_until


def store(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("() => structuredClone(SillyTavern.getContext().extensionSettings.inlineImages.presets)"))


def toast_with(page: Page, text: str) -> None:
    expect(page.locator("#toast-container .toast", has_text=text).first).to_be_visible()


def confirm(page: Page, text: str):  # type: ignore[no-untyped-def]
    """The open popup that asks `text` (the previous one may still be closing)."""
    dialog = page.locator("dialog[open]", has_text=text)
    expect(dialog).to_have_count(1)
    return dialog


def save_as(page: Page, name: str) -> None:
    page.click("#inline_images_preset_saveas")
    stpage.popup_input(page, name)


def test_builtin_presets_are_listed_and_read_only(page: Page) -> None:
    stpage.open_extension_drawer(page)
    values = page.locator("#inline_images_preset option").evaluate_all("(os) => os.map(o => o.value)")
    assert values[:3] == ["Default", "NAI 4.5 Full", "Natural language (FLUX, SDXL, DALL-E)"]
    expect(page.locator("#inline_images_preset_text")).to_have_attribute("readonly", "")
    page.click("#inline_images_preset_save")
    toast_with(page, "cannot be changed")
    page.click("#inline_images_preset_delete")
    toast_with(page, "cannot be")
    assert store(page)["custom"] == {}


def test_save_as_creates_edits_and_persists_a_custom_preset(page: Page, llm: StandInLLM,
                                                             sillytavern: SillyTavern) -> None:
    stpage.open_extension_drawer(page)
    save_as(page, "Noir")
    expect(page.locator("#inline_images_preset")).to_have_value("Noir")
    editor = page.locator("#inline_images_preset_text")
    expect(editor).not_to_have_attribute("readonly", "")
    editor.fill('Write <img-prompt="..."> in film-noir style every {{words}} words.')
    page.click("#inline_images_preset_save")
    toast_with(page, "The preset has been saved")
    assert store(page) == {"selected": "Noir",
                           "custom": {"Noir": 'Write <img-prompt="..."> in film-noir style every {{words}} words.'}}
    llm.queue("ok")
    stpage.send(page, "Hi")
    stpage.wait_idle(page)
    messages = llm.generation_requests()[-1].messages
    assert messages[-1]["content"] == 'Write <img-prompt="..."> in film-noir style every 250 words.'
    # The selection and the text survive a reload (saved in SillyTavern's settings).
    page.wait_for_timeout(1500)  # SillyTavern saves settings debounced
    page.reload()
    stpage.open_app(page, sillytavern.url)
    assert store(page)["selected"] == "Noir"


def test_save_as_refuses_builtin_names_and_confirms_overwrites(page: Page) -> None:
    stpage.open_extension_drawer(page)
    save_as(page, "default")
    toast_with(page, "built-in")
    assert store(page)["custom"] == {}
    save_as(page, "Mine")
    page.locator("#inline_images_preset_text").fill("first {{words}} <img-prompt=\"x\">")
    page.click("#inline_images_preset_save")
    page.locator("#inline_images_preset_text").fill("second {{words}} <img-prompt=\"x\">")
    # Save As onto the existing name asks first; declining keeps the old text.
    save_as(page, "Mine")
    confirm(page, "Overwrite it?").locator(".popup-button-cancel").click()
    assert store(page)["custom"]["Mine"].startswith("first")
    page.locator("#inline_images_preset_text").fill("second {{words}} <img-prompt=\"x\">")
    save_as(page, "Mine")
    confirm(page, "Overwrite it?").locator(".popup-button-ok").click()
    wait_until(lambda: store(page)["custom"]["Mine"].startswith("second"), what="overwritten preset")


def test_delete_removes_a_custom_preset_and_falls_back_to_default(page: Page) -> None:
    stpage.open_extension_drawer(page)
    save_as(page, "Temporary")
    expect(page.locator("#inline_images_preset")).to_have_value("Temporary")
    page.click("#inline_images_preset_delete")
    confirm(page, "delete the preset").locator(".popup-button-ok").click()
    expect(page.locator("#inline_images_preset")).to_have_value("Default")
    assert store(page) == {"selected": "Default", "custom": {}}
    assert page.locator("#inline_images_preset option[value='Temporary']").count() == 0


def test_a_preset_name_with_markup_is_shown_as_text_and_runs_nothing(page: Page) -> None:
    hostile = '<img src=x onerror="window.__pwned=1">Bold'
    stpage.open_extension_drawer(page)
    save_as(page, hostile)
    expect(page.locator("#inline_images_preset")).to_have_value(hostile)
    save_as(page, hostile)  # overwrite: the confirmation quotes the name
    dialog = confirm(page, "Overwrite it?")
    expect(dialog).to_contain_text(hostile)
    dialog.locator(".popup-button-cancel").click()
    page.click("#inline_images_preset_delete")
    dialog = confirm(page, "delete the preset")
    expect(dialog).to_contain_text(hostile)
    dialog.locator(".popup-button-ok").click()
    expect(page.locator("#inline_images_preset")).to_have_value("Default")
    assert page.evaluate("() => window.__pwned") is None
