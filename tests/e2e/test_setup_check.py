"""Check setup, in real SillyTavern: every check passing, and each one failing the way a
user's setup does (Image Generation off, no server URL, the backend failing, the extension
off, a model that writes no tags, a regex script that strips them). Running it changes
nothing in the chat or the settings."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import tag

# Everything but today's count of pictures (the test picture is a request like any: it counts).
STATE_JS = """() => {
  const c = SillyTavern.getContext();
  const { inlineImagesToday, ...settings } = c.extensionSettings;
  return JSON.stringify({ chat: c.chat, meta: c.chatMetadata, settings });
}"""
TODAY_JS = "() => SillyTavern.getContext().extensionSettings.inlineImagesToday?.count ?? 0"


def long_reply(with_tag: bool, n: int) -> str:
    body = " ".join(f"word{n}x{i}" for i in range(170))
    return f"Reply {n}. {body}." + (" " + tag(f"a lighthouse at night {n}") + " The end." if with_tag else "")


def run_check(page: Page) -> dict[str, tuple[str, str]]:
    """Press Check setup in the drawer and read the results: check id -> (status, text)."""
    stpage.open_extension_drawer(page)
    page.click("#inline_images_check")
    items = page.locator("dialog[open] .iig-checks .iig-check")
    expect(items).to_have_count(5, timeout=40_000)
    found = {str(item.get_attribute("data-iig-check")): (str(item.get_attribute("data-iig-status")),
                                                         item.locator(".iig-check-text").inner_text())
             for item in items.all()}
    page.locator("dialog[open] .popup-button-ok").click()
    expect(page.locator("dialog[open] .iig-checks")).to_have_count(0)
    return found


def send_replies(page: Page, llm: StandInLLM, tagged: list[bool]) -> None:
    for n, with_tag in enumerate(tagged):
        llm.queue(long_reply(with_tag, n))
        stpage.send(page, f"Go on {n}.")
        stpage.wait_idle(page)
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)


def test_a_ready_setup_passes_every_check_and_changes_nothing(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    send_replies(page, llm, [False, True, False])
    before, today = page.evaluate(STATE_JS), page.evaluate(TODAY_JS)
    results = run_check(page)
    assert results["image-generation"][0] == "ok" and "auto" in results["image-generation"][1]
    assert results["test-picture"][0] == "ok", results["test-picture"]
    assert images.prompts()[-1].endswith("simple still life"), "the test picture went to the image server"
    assert results["instructions"] == ("ok", results["instructions"][1]) and "Default" in results["instructions"][1]
    assert results["recent-replies"][0] == "ok" and results["recent-replies"][1].startswith("1 of the last 3")
    assert results["conflicts"][0] == "ok"
    assert page.evaluate(STATE_JS) == before, "the check changed the chat or the settings"
    assert page.evaluate(TODAY_JS) == today + 1, "the test picture counts for Pictures per day"

    # The slash command runs the same checks and returns them as text.
    text = str(page.evaluate("async () => (await SillyTavern.getContext().executeSlashCommandsWithOptions('/iig-check')).pipe"))
    assert len(text.splitlines()) == 5 and text.startswith("✓ Image Generation")
    page.keyboard.press("Escape")


def test_a_failing_backend_a_missing_url_and_the_extension_off_are_each_named(
        page: Page, images: StandInImageServer) -> None:
    images.behaviour.fail_prompts_containing = "still life"
    results = run_check(page)
    assert results["test-picture"][0] == "fail" and "failed" in results["test-picture"][1]
    assert results["recent-replies"][0] == "info", "a new chat has too few replies to tell"

    images.behaviour.fail_prompts_containing = None
    page.evaluate("() => { SillyTavern.getContext().extensionSettings.sd.auto_url = ''; }")
    results = run_check(page)
    assert results["image-generation"][0] == "fail" and "URL is empty" in results["image-generation"][1]
    assert results["test-picture"][0] == "info", "no test picture without a source"

    stpage.open_extension_drawer(page)
    page.locator("#inline_images_enabled").uncheck()
    results = run_check(page)
    assert results["instructions"][0] == "fail" and "turned off" in results["instructions"][1]


def test_a_model_that_writes_no_tags_and_a_regex_script_that_strips_them_are_named(
        page: Page, llm: StandInLLM) -> None:
    send_replies(page, llm, [False, False, False])
    page.evaluate("""() => {
      const c = SillyTavern.getContext();
      c.extensionSettings.regex = c.extensionSettings.regex ?? [];
      c.extensionSettings.regex.push({ id: 'iig-test-strip', scriptName: 'iig-test Strip tags', findRegex: '/<img-prompt[^>]*>/g',
        replaceString: '', trimStrings: [], placement: [2], disabled: false, markdownOnly: true, promptOnly: false,
        runOnEdit: true, substituteRegex: 0, minDepth: null, maxDepth: null });
    }""")
    try:
        results = run_check(page)
        assert results["recent-replies"][0] == "warn" and "had no image prompts" in results["recent-replies"][1]
        assert results["conflicts"][0] == "warn" and "iig-test Strip tags" in results["conflicts"][1]
    finally:
        page.evaluate("""() => {
          const c = SillyTavern.getContext();
          c.extensionSettings.regex = (c.extensionSettings.regex ?? []).filter((s) => s.id !== 'iig-test-strip');
        }""")


def test_image_generation_turned_off_is_named(page: Page, chromium: Browser, sillytavern: SillyTavern) -> None:
    def disable(settings: dict[str, Any]) -> None:
        ext = settings["extension_settings"]
        ext["disabledExtensions"] = [*ext.get("disabledExtensions", []), "stable-diffusion"]

    # As SillyTavern's own "Manage extensions" does: the setting, then a reload.
    page.context.close()
    sillytavern.patch_settings(disable)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        fresh = context.new_page()
        stpage.open_app(fresh, sillytavern.url)
        stpage.open_character(fresh)
        assert fresh.evaluate("() => !SillyTavern.getContext().SlashCommandParser.commands.sd")
        results = run_check(fresh)
        assert results["image-generation"][0] == "fail" and "turned off" in results["image-generation"][1]
        assert results["test-picture"][0] == "info"
    finally:
        context.close()
        sillytavern.patch_settings(lambda s: s["extension_settings"].update(disabledExtensions=[
            x for x in s["extension_settings"].get("disabledExtensions", []) if x != "stable-diffusion"]))
