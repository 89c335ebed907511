"""Character consistency: each character's look reaches the prompts that name them.

In real SillyTavern: an appearance set in the drawer is saved in the card (on disk, and still
there after a reload), added to the image prompts that name the character and to no other,
and listed for the chat model in the meta-prompt; Image Generation's own character prompt is
the fallback; group members and the persona get theirs; Describe from card fills the field
from the model's answer, and a useless answer changes nothing; a chat's style and seed reach
the image server for that chat only."""
from __future__ import annotations

import base64
import html
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import ImageRequest, StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import REPO_ROOT, SillyTavern

from .helpers import IMG_OF_OURS, saved_messages, tag, wait_until

MARA = "Mara Quinn"
MARA_LOOK = "short copper hair, freckles, grey eyes, navy peacoat"
IVO = "Ivo Brandt"
IVO_LOOK = "tall, shaved head, black beard, leather apron"


def create_character(page: Page, name: str, description: str) -> str:
    """A character made through SillyTavern's own API (as its Create button does); its avatar."""
    avatar = str(page.evaluate("""async ([name, description]) => {
      const ctx = SillyTavern.getContext();
      const known = ctx.characters.find((c) => c.name === name);
      if (known) return known.avatar;
      const response = await fetch('/api/characters/create', {
        method: 'POST', headers: ctx.getRequestHeaders(),
        body: JSON.stringify({ ch_name: name, description, first_mes: `${name} nods.`, personality: 'calm',
          scenario: 'a harbour town', mes_example: '', creator_notes: '', system_prompt: '',
          post_history_instructions: '', tags: '', creator: '', character_version: '', talkativeness: 0.5,
          fav: false, world: '', depth_prompt_prompt: '', depth_prompt_depth: 4, depth_prompt_role: 'system',
          extensions: '{}' }),
      });
      if (!response.ok) throw new Error(`create: ${response.status}`);
      const avatar = await response.text();
      await ctx.getCharacters();
      return avatar;
    }""", [name, description]))
    return avatar


def open_group(page: Page, st: SillyTavern, name: str, members: list[str]) -> None:
    """A new group made through SillyTavern's API, opened with /go after a reload."""
    group_id = str(page.evaluate("""async ([name, members]) => {
      const ctx = SillyTavern.getContext();
      const response = await fetch('/api/groups/create', {
        method: 'POST', headers: ctx.getRequestHeaders(),
        body: JSON.stringify({ name, members, allow_self_responses: false }),
      });
      if (!response.ok) throw new Error(`group create: ${response.status}`);
      return (await response.json()).id;
    }""", [name, members]))
    stpage.open_app(page, st.url)
    page.evaluate("async (name) => { await SillyTavern.getContext().executeSlashCommandsWithOptions(`/go ${name}`); }", name)
    page.wait_for_function("(id) => SillyTavern.getContext().groupId === id && SillyTavern.getContext().chat.length > 0",
                           arg=group_id, timeout=20_000)


def open_fresh(page: Page, name: str) -> None:
    stpage.open_character(page, name)
    stpage.new_chat(page)


def png_card(path: Path) -> dict[str, Any]:
    """The character JSON stored in a card PNG's text chunks (ccv3 wins over chara)."""
    data = path.read_bytes()
    pos, texts = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            texts[key.decode()] = value
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\x00")
            texts[key.decode()] = zlib.decompress(rest[1:])
        pos += 12 + length
    raw = texts.get("ccv3") or texts["chara"]
    return dict(json.loads(base64.b64decode(raw)))


def member_row(page: Page, avatar: str) -> Any:
    return page.locator(f'#inline_images_cast [data-iig-member="char:{avatar}"]')


def settled(page: Page) -> None:
    """Nothing of the extension's is running any more (every picture drawn and written)."""
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)


def slash(page: Page, command: str) -> str:
    return str(page.evaluate("async (c) => (await SillyTavern.getContext().executeSlashCommandsWithOptions(c)).pipe", command))


def request_for(images: StandInImageServer, prompt: str) -> ImageRequest:
    """The last image request whose prompt ends with `prompt`."""
    found = [r for r in images.requests if r.prompt.endswith(prompt)]
    assert found, f"no image request ended with {prompt!r}: {images.prompts()}"
    return found[-1]


def sent_for(images: StandInImageServer, prompt: str) -> str:
    return request_for(images, prompt).prompt


def test_an_appearance_set_in_the_drawer_is_saved_in_the_card_and_reaches_prompts_that_name_her(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    avatar = create_character(page, MARA, "A harbour pilot with copper hair.")
    open_fresh(page, MARA)
    stpage.open_extension_drawer(page)
    row = member_row(page, avatar)
    expect(row.locator(".iig-member-source")).to_contain_text("none yet")
    row.locator(".iig-member-appearance").fill(MARA_LOOK)
    row.locator(".iig-member-save").click()
    expect(member_row(page, avatar).locator(".iig-member-source")).to_contain_text("saved in the card")
    # The README's picture of the Characters section.
    page.locator('#inline_images_settings details.iig-group[data-iig-group="characters"]').scroll_into_view_if_needed()
    page.locator("#inline_images_cast").screenshot(path=str(REPO_ROOT / "docs" / "characters.png"))

    named, unnamed = "Mara's hands on the ship's wheel, stormy sea", "a quiet harbour at dawn, fishing boats"
    llm.queue("She steers. " + tag(named) + " The town sleeps. " + tag(unnamed) + " Gulls cry.")
    stpage.send(page, "Take us in.")
    stpage.wait_idle(page)
    images.wait_for_requests(2)
    assert MARA_LOOK in sent_for(images, named), "her look goes into the prompt that names her"
    assert MARA_LOOK not in sent_for(images, unnamed) and "freckles" not in sent_for(images, unnamed)
    # The chat model was told who looks how.
    system = "\n".join(str(m["content"]) for m in llm.generation_requests()[-1].messages if m["role"] == "system")
    assert f"- {MARA}: {MARA_LOOK}" in system

    # The tag keeps the model's prompt; the picture's hover text is what was sent.
    settled(page)
    text = wait_until(lambda: (t := saved_messages(sillytavern, page)[-1]["mes"]).count("data-iig") == 2 and t,
                      what="both pictures in the saved reply")
    assert tag(named).replace("'", "&#39;") in text or tag(named) in text
    pictures = {html.unescape(alt): html.unescape(title) for _src, title, alt in IMG_OF_OURS.findall(text)}
    assert set(pictures) == {named, unnamed}
    assert MARA_LOOK in pictures[named] and pictures[unnamed] == unnamed

    # In the card file on disk, and after a reload.
    card = sillytavern.user_dir / "characters" / avatar
    wait_until(lambda: png_card(card)["data"]["extensions"].get("inline_images", {}).get("appearance") == MARA_LOOK,
               what="the appearance in the card file")
    stpage.open_app(page, sillytavern.url)
    stpage.open_character(page, MARA)
    stpage.open_extension_drawer(page)
    expect(member_row(page, avatar).locator(".iig-member-appearance")).to_have_value(MARA_LOOK)
    expect(member_row(page, avatar).locator(".iig-member-source")).to_contain_text("saved in the card")


def test_image_generation_character_prompt_is_the_fallback(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    avatar = create_character(page, IVO, "A blacksmith.")
    key = avatar.removesuffix(".png")
    # Nothing of ours for him (another test may have set it), only Image Generation's prompt.
    page.evaluate("""([key]) => {
      SillyTavern.getContext().extensionSettings.sd.character_prompts[key] = 'bald smith, soot on his arms';
    }""", [key])
    open_fresh(page, IVO)
    assert slash(page, f'/iig-appearance name="{IVO}" reset=true') == "bald smith, soot on his arms"
    stpage.open_extension_drawer(page)
    expect(member_row(page, avatar).locator(".iig-member-source")).to_contain_text("Image Generation")
    prompt = "Ivo hammers a glowing blade at the anvil"
    llm.queue("Sparks fly. " + tag(prompt) + " He grins.")
    stpage.send(page, "Show me your work.")
    stpage.wait_idle(page)
    images.wait_for_requests(1)
    assert "bald smith, soot on his arms" in sent_for(images, prompt)


def test_group_members_and_the_persona_each_get_their_own_look(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    mara = create_character(page, MARA, "A harbour pilot.")
    ivo = create_character(page, IVO, "A blacksmith.")
    open_group(page, sillytavern, "Harbour crew", [mara, ivo])
    assert slash(page, f'/iig-appearance name="{MARA}" {MARA_LOOK}') == MARA_LOOK
    assert slash(page, f'/iig-appearance name=Ivo {IVO_LOOK}') == IVO_LOOK
    persona = str(page.evaluate("() => SillyTavern.getContext().name1"))
    persona_look = "wiry traveller, long white scarf, round spectacles"
    assert slash(page, f"/iig-appearance name=persona {persona_look}") == persona_look
    assert slash(page, f'/iig-appearance name="{MARA}"') == MARA_LOOK

    only_mara = "Mara coils a rope on the pier"
    only_ivo = "Ivo's forge glowing in the night"
    both = "Ivo and Mara share bread by the fire"
    with_persona = f"{persona} waves from the gangplank"
    nobody = "an empty market square in the rain"
    llm.queue(" ".join(tag(p) + " Text." for p in (only_mara, only_ivo, both, with_persona, nobody)))
    stpage.send(page, "What happens next?")
    stpage.wait_idle(page)
    images.wait_for_requests(5)
    assert MARA_LOOK in sent_for(images, only_mara) and IVO_LOOK not in sent_for(images, only_mara)
    assert IVO_LOOK in sent_for(images, only_ivo) and MARA_LOOK not in sent_for(images, only_ivo)
    combined = sent_for(images, both)
    # Both, in order of first mention.
    assert combined.index(IVO_LOOK) < combined.index(MARA_LOOK)
    assert persona_look in sent_for(images, with_persona)
    assert all(look not in sent_for(images, nobody) for look in (MARA_LOOK, IVO_LOOK, persona_look))


def test_describe_from_card_fills_the_field_and_a_useless_answer_changes_nothing(
        page: Page, llm: StandInLLM) -> None:
    avatar = create_character(page, MARA, "A harbour pilot with copper hair.")
    open_fresh(page, MARA)
    slash(page, f'/iig-appearance name="{MARA}" old look')
    stpage.open_extension_drawer(page)
    row = member_row(page, avatar)
    field = row.locator(".iig-member-appearance")
    expect(field).to_have_value("old look")

    llm.queue('Appearance: "short copper hair, freckles, green eyes, navy peacoat"')
    row.locator(".iig-member-describe").click()
    expect(field).to_have_value("short copper hair, freckles, green eyes, navy peacoat")
    asked = llm.requests[-1]
    assert "A harbour pilot with copper hair." in json.dumps(asked.body), "the card's text went to the model"
    # Not saved until the user presses Save.
    assert slash(page, f'/iig-appearance name="{MARA}"') == "old look"

    field.fill("typed by hand")
    for useless, says in (("I'm sorry, but I can't help with that.", "declined"), ('"..."', "not a usable")):
        llm.queue(useless)
        member_row(page, avatar).locator(".iig-member-describe").click()
        wait_until(lambda: any(says in t for t in stpage.toasts(page)), what=f"a message saying {says!r}")
        expect(member_row(page, avatar).locator(".iig-member-appearance")).to_have_value("typed by hand")
    assert slash(page, f'/iig-appearance name="{MARA}"') == "old look"


def test_a_chats_style_and_seed_reach_the_image_server_for_that_chat_only(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    avatar = create_character(page, MARA, "A harbour pilot.")
    open_fresh(page, MARA)
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_chat_style", "watercolor, soft light")
    stpage.set_field(page, "#inline_images_chat_seed", "1234")
    chat_a = stpage.current_chat_file(page)

    def draw(prompt: str) -> Any:
        before = len(images.requests)
        llm.queue("Night falls. " + tag(prompt) + " Quiet.")
        stpage.send(page, "Go on.")
        stpage.wait_idle(page)
        images.wait_for_requests(before + 1)
        return next(r for r in images.requests[before:] if r.prompt.endswith(prompt) or prompt in r.prompt)

    first = draw("a lighthouse at night")
    assert first.prompt.endswith("a lighthouse at night, watercolor, soft light")
    assert first.body.get("seed") == 1234
    saved = sillytavern.user_dir / "chats" / avatar.removesuffix(".png") / f"{chat_a}.jsonl"
    wait_until(lambda: json.loads(saved.read_text().splitlines()[0])["chat_metadata"].get("inline_images")
               == {"style": "watercolor, soft light", "seed": 1234}, what="the style and seed in the chat file")

    stpage.new_chat(page)
    expect(page.locator("#inline_images_chat_style")).to_have_value("")
    expect(page.locator("#inline_images_chat_seed")).to_have_value("")
    second = draw("a rowing boat in fog")
    assert "watercolor" not in second.prompt
    assert second.body.get("seed") in (None, -1)

    page.evaluate("async (file) => await SillyTavern.getContext().openCharacterChat(file)", chat_a)
    page.wait_for_function("(f) => SillyTavern.getContext().getCurrentChatId() === f", arg=chat_a)
    expect(page.locator("#inline_images_chat_seed")).to_have_value("1234")
    third = draw("a harbour wall in spray")
    assert third.body.get("seed") == 1234 and third.prompt.endswith("watercolor, soft light")
    # Image Generation's own seed setting is left as the user had it.
    settled(page)
    assert page.evaluate("() => SillyTavern.getContext().extensionSettings.sd.seed") == -1


def test_the_pictures_actions_show_the_prompt_as_sent(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    avatar = create_character(page, MARA, "A harbour pilot.")
    open_fresh(page, MARA)
    assert slash(page, f'/iig-appearance name="{MARA}" {MARA_LOOK}') == MARA_LOOK
    prompt = "Mara reading a chart by lamplight"
    llm.queue("She studies. " + tag(prompt) + " The lamp flickers.")
    stpage.send(page, "What is she doing?")
    stpage.wait_idle(page)
    settled(page)
    picture = page.locator("#chat .mes").last.locator(".mes_text img[data-iig]")
    expect(picture).to_have_count(1, timeout=30_000)
    assert MARA_LOOK in str(picture.get_attribute("title")), "the hover text is the prompt as sent"
    picture.click()
    dialog = page.locator("dialog.iig-viewer[open]")
    expect(dialog.locator(".iig-viewer-prompt")).to_have_text(prompt)
    expect(dialog.locator(".iig-viewer-sent")).to_contain_text(MARA_LOOK)
    assert avatar
