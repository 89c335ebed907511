"""Driving SillyTavern's page: readiness, opening a chat, sending, waiting for the reply."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

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


def send(page: Page, text: str) -> None:
    page.fill("#send_textarea", text)
    page.click("#send_but")


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
