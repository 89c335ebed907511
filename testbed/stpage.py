"""Driving SillyTavern's page: readiness, opening a chat, sending, waiting for the reply."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

READY_JS = """() => {
  const st = globalThis.SillyTavern;
  if (!st) return false;
  const ctx = st.getContext();
  return ctx.eventSource.autoFireLastArgs.has('app_ready') && ctx.onlineStatus !== 'no_connection';
}"""


def open_app(page: Page, url: str, timeout: float = 60_000) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(READY_JS, timeout=timeout, polling=200)


def open_character(page: Page, name: str = "Seraphina") -> None:
    """Open the character's chat (the bundled Seraphina exists in every fresh data root)."""
    page.evaluate("""async (name) => {
      const ctx = SillyTavern.getContext();
      const index = ctx.characters.findIndex(c => c.name === name);
      if (index < 0) throw new Error(`no character named ${name}`);
      await ctx.selectCharacterById(index);
    }""", name)
    page.wait_for_function("(name) => SillyTavern.getContext().name2 === name && SillyTavern.getContext().chat.length > 0",
                           arg=name, timeout=20_000)


def new_chat(page: Page) -> None:
    """Start a fresh chat with the open character (first message only)."""
    page.evaluate("""async () => {
      const ctx = SillyTavern.getContext();
      await ctx.executeSlashCommandsWithOptions('/newchat');
    }""")
    page.wait_for_function("() => SillyTavern.getContext().chat.length === 1", timeout=20_000)


def is_generating(page: Page) -> bool:
    return bool(page.evaluate("() => document.querySelector('#mes_stop')?.checkVisibility?.() ?? false"))


def send(page: Page, text: str, timeout: float = 30_000) -> None:
    """Send as the user does, and return once the reply's message exists (streaming has
    begun, or a non-streamed reply arrived), so a following wait_idle cannot pass early."""
    before = int(page.evaluate("() => SillyTavern.getContext().chat.length"))
    page.fill("#send_textarea", text)
    for _ in range(5):
        page.click("#send_but")
        # SillyTavern clears the box when it takes the message; right after a reply ends it
        # can still be busy and ignore the click, and a user would simply click again.
        try:
            page.wait_for_function("() => document.querySelector('#send_textarea').value === ''", timeout=2_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; retried below
            continue
    page.wait_for_function("(n) => SillyTavern.getContext().chat.length >= n + 2", arg=before,
                           timeout=timeout, polling=50)


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until no generation runs (the stop button is hidden and the send button back)."""
    page.wait_for_function("""() => {
      const stop = document.querySelector('#mes_stop');
      const visible = stop && getComputedStyle(stop).display !== 'none';
      return !visible && !document.body.dataset.generating;
    }""", timeout=timeout, polling=100)


def chat(page: Page) -> list[dict[str, Any]]:
    return list(page.evaluate("() => structuredClone(SillyTavern.getContext().chat)"))


def last_message_text(page: Page) -> str:
    return str(page.evaluate("() => { const c = SillyTavern.getContext().chat; return c[c.length - 1].mes; }"))


def streaming(page: Page) -> bool:
    return bool(page.evaluate("() => $('#stream_toggle').prop('checked')"))


def set_streaming(page: Page, on: bool) -> None:
    """Flip chat-completion streaming the way a user does (the checkbox in the API panel),
    and wait for SillyTavern's debounced settings save, so the next page load sees it too."""
    if streaming(page) == on:
        return
    with page.expect_response(lambda r: "/api/settings/save" in r.url, timeout=15_000):
        page.evaluate("(on) => { $('#stream_toggle').prop('checked', on).trigger('change'); }", on)


def current_chat_file(page: Page) -> str:
    """The chat's file name (without .jsonl) as SillyTavern saves it."""
    return str(page.evaluate("() => SillyTavern.getContext().getCurrentChatId()"))


def message_html(page: Page, index: int) -> str:
    return str(page.evaluate("(i) => document.querySelector(`#chat .mes[mesid='${i}'] .mes_text`)?.innerHTML ?? ''", index))


def last_index(page: Page) -> int:
    return int(page.evaluate("() => SillyTavern.getContext().chat.length - 1"))


def open_extension_drawer(page: Page, open_sections: bool = True) -> None:
    """Open the Extensions panel and Inline Images' drawer in it, as a user does (with all
    of its sections open, unless told otherwise)."""
    panel = page.locator("#rm_extensions_block")
    content = page.locator("#inline_images_settings .inline-drawer-content")
    for attempt in range(3):
        # Another top drawer opened just before (World Info) closes this panel with an
        # animation: while it slides, it still looks open. Look once it has stopped.
        page.wait_for_function("() => !$('#rm_extensions_block').is(':animated')", timeout=10_000)
        if not panel.is_visible():
            page.click("#extensions-settings-button .drawer-toggle")
            panel.wait_for(state="visible")
        # The panel fills and reflows while it opens, so a mouse click on our drawer's header can
        # land on a neighbour's: toggle it the way the header's click handler does, once it is
        # known to be closed (a drawer's open state is its content's display).
        page.evaluate("""() => {
            const content = $('#inline_images_settings .inline-drawer-content');
            if (!content.is(':animated') && content.css('display') === 'none') $('#inline_images_settings .inline-drawer-toggle').trigger('click');
        }""")
        try:
            content.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
    if open_sections:
        # Basics is open at first, the other sections closed: open them all, as a user
        # looking for a setting does.
        page.evaluate("""() => document.querySelectorAll('#inline_images_settings details.iig-group')
            .forEach((d) => { d.open = true; })""")


def set_field(page: Page, selector: str, value: str) -> None:
    """Type into a number/text control and commit it (change event), as leaving the field does."""
    page.fill(selector, value)
    page.locator(selector).dispatch_event("change")


def popup_click(page: Page, text: str) -> None:
    """Click a button of the open SillyTavern popup by its label."""
    page.locator("dialog[open] .popup-controls .menu_button", has_text=text).first.click()


def popup_input(page: Page, value: str) -> None:
    """Answer the open input popup (not one still closing) and confirm it."""
    dialog = page.locator("dialog[open]").filter(has=page.locator(".popup-input:visible"))
    dialog.locator(".popup-input").fill(value)
    dialog.locator(".popup-button-ok").click()


def toasts(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#toast-container .toast").all_inner_texts()]
