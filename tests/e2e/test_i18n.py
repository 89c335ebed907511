"""Translations: the drawer follows SillyTavern's language, and our locale data never
relabels SillyTavern's own controls (i18n keys are global there)."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.sillytavern import SillyTavern


def test_sillytavern_own_buttons_keep_their_labels(page: Page) -> None:
    page.evaluate("() => { const c = SillyTavern.getContext(); c.callGenericPopup('Sure?', c.POPUP_TYPE.CONFIRM); }")
    expect(page.locator("dialog[open] .popup-button-cancel")).to_have_text("No")
    expect(page.locator("dialog[open] .popup-button-ok")).to_have_text("Yes")


def test_drawer_and_messages_in_simplified_chinese(page: Page, sillytavern: SillyTavern) -> None:
    page.evaluate("() => localStorage.setItem('language', 'zh-cn')")
    try:
        page.reload()
        stpage.open_app(page, sillytavern.url)
        stpage.open_extension_drawer(page)
        drawer = page.locator("#inline_images_settings")
        expect(drawer.locator("[data-i18n='iig_enabled']")).to_have_text("启用")
        expect(drawer.locator("[data-i18n='iig_help_maxConcurrent']")).to_contain_text("严格按顺序")
        expect(page.locator("#inline_images_preset option").first).to_have_text("Default （内置）")
        expect(page.locator("#inline_images_preset_description")).to_have_text("朴素的画面描述，适用于任何图像模型。")
        help_text = page.evaluate("""() => SillyTavern.getContext().SlashCommandParser.commands['inline-images']
            .namedArgumentList[0].description""")
        assert help_text.startswith("replace：移除此消息中已生成的图片")
        page.click("#inline_images_preset_save")  # a built-in preset: refused, in Chinese
        expect(page.locator("#toast-container .toast", has_text="是内置预设，无法修改")).to_have_count(1)
    finally:
        page.evaluate("() => localStorage.removeItem('language')")
