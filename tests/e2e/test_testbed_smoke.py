"""The testbed itself drives a real SillyTavern: a streamed reply and an /sd image."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM, Reply
from testbed.sillytavern import EXTENSION_FOLDER, SillyTavern


def test_extension_is_loaded_from_its_clone_folder(page: Page, console: list[str]) -> None:
    base = page.evaluate("() => globalThis.inlineImages?.base")
    assert base == f"/scripts/extensions/third-party/{EXTENSION_FOLDER}/"
    errors = [line for line in console if line.startswith(("error", "pageerror")) and "Inline Images" in line]
    assert not errors, errors


def test_streamed_reply_and_sd_image_show_in_the_chat(page: Page, llm: StandInLLM, images: StandInImageServer,
                                                      sillytavern: SillyTavern) -> None:
    llm.queue(Reply(["The fox stepped out of the pines. ", 0.3, "Snow fell all around it."]))
    stpage.send(page, "Where is the fox?")
    last = page.locator("#chat .mes").last.locator(".mes_text")
    # The first half shows while the stand-in still holds the second half back: a real stream.
    expect(last).to_contain_text("The fox stepped out of the pines.")
    stpage.wait_idle(page)
    expect(last).to_have_text("The fox stepped out of the pines. Snow fell all around it.")
    request = llm.generation_requests()[-1]
    assert request.streamed and request.completed
    users = [m for m in request.messages if m["role"] == "user"]
    assert users[-1]["content"].endswith("Where is the fox?")

    path = page.evaluate("""async () => {
        const sd = SillyTavern.getContext().SlashCommandParser.commands['sd'];
        return await sd.callback({ quiet: 'true' }, 'a red fox in snowy pines');
    }""")
    assert path.startswith("/user/images/") and path.endswith(".png")
    assert images.prompts()[-1].endswith("a red fox in snowy pines")
    # Show it in the page and check the browser really loads the stand-in's PNG.
    page.evaluate("(src) => { const img = new Image(); img.id = 'probe'; img.src = encodeURI(src); document.body.append(img); }", path)
    page.wait_for_function("() => document.querySelector('#probe').complete && document.querySelector('#probe').naturalWidth > 0")
    assert page.evaluate("() => document.querySelector('#probe').naturalWidth") == 512
    assert any(p.name for p in sillytavern.images_saved())
