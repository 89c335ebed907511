"""Group chats: a member's reply gets its pictures, saved in the group's chat file."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import images_in, tag, wait_until


def open_new_group(page: Page, st: SillyTavern, members: list[str]) -> str:
    """Create a group as SillyTavern's own UI does (its API), reload, and open its chat."""
    group_id = str(page.evaluate("""async (members) => {
      const ctx = SillyTavern.getContext();
      const response = await fetch('/api/groups/create', {
        method: 'POST', headers: ctx.getRequestHeaders(),
        body: JSON.stringify({ name: 'Grove party', members, allow_self_responses: false }),
      });
      if (!response.ok) throw new Error(`group create: ${response.status}`);
      return (await response.json()).id;
    }""", members))
    stpage.open_app(page, st.url)
    page.evaluate("async () => { await SillyTavern.getContext().executeSlashCommandsWithOptions('/go Grove party'); }")
    page.wait_for_function("(id) => SillyTavern.getContext().groupId === id && SillyTavern.getContext().chat.length > 0",
                           arg=group_id, timeout=20_000)
    return group_id


def test_group_member_reply_gets_its_pictures(page: Page, llm: StandInLLM, images: StandInImageServer,
                                             sillytavern: SillyTavern) -> None:
    open_new_group(page, sillytavern, ["default_Seraphina.png"])
    reply = ("The grove is quiet. " + tag("a moonlit grove with a stone well")
             + " A bird lands. " + tag("a blue jay on a mossy branch") + " It sings.")
    llm.queue(reply)
    stpage.send(page, "Where are we?")
    stpage.wait_idle(page)
    last = page.locator("#chat .mes").last
    expect(last.locator(".mes_text img[data-iig]")).to_have_count(2, timeout=30_000)
    expect(last.locator(".name_text").first).to_have_text("Seraphina")
    # The meta-prompt went out with the group member's request too.
    assert any("img-prompt" in str(m["content"]) for m in llm.generation_requests()[-1].messages
               if m["role"] == "system")
    chat_id = stpage.current_chat_file(page)
    saved = sillytavern.user_dir / "group chats" / f"{chat_id}.jsonl"

    def saved_images() -> list[tuple[str, str]]:
        if not saved.exists():
            return []
        messages = sillytavern.read_chat(saved)[1:]
        return images_in(messages[-1]["mes"]) if messages else []

    found = wait_until(lambda: len(saved_images()) == 2 and saved_images(), what="two images in the saved group chat")
    assert [prompt for _src, prompt in found] == ["a moonlit grove with a stone well", "a blue jay on a mossy branch"]
