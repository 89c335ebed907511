"""Looks of places and things, from a lorebook.

In real SillyTavern, with a lorebook made through its own API (as its World Info panel does): the
drawer's "Looks lorebook" lists SillyTavern's lorebooks; the chosen one's entries show read-only;
a prompt naming an entry (by any of its keys) gets its look, prompts that do not name it do not,
and several are added in the order named; the chat model is told the looks; an edit saved in
SillyTavern's World Info is used for the next picture; the button opens SillyTavern's editor on
that lorebook; deleting it there gives one message, and pictures are still drawn."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import REPO_ROOT

from .helpers import draw_prompts, wait_until
from .test_cast import sent_for

INN = {"key": ["Rusty Anchor", "the inn"], "comment": "The harbour tavern",
       "content": "low beamed ceiling, smoky lanterns, long oak bar"}
SWORD = {"key": ["Dawnblade"], "comment": "", "content": "slim silver sword with a sun-shaped guard"}


def make_lorebook(page: Page, name: str, entries: list[dict[str, Any]]) -> None:
    """A lorebook written through SillyTavern's server API, then its list read again, as the
    World Info panel's Create and Import do."""
    page.evaluate("""async ([name, entries]) => {
      const ctx = SillyTavern.getContext();
      const data = { entries: Object.fromEntries(entries.map((e, uid) => [String(uid),
        { uid, keysecondary: [], constant: false, selective: true, disable: false, order: 100, position: 0, ...e }])) };
      const response = await fetch('/api/worldinfo/edit', {
        method: 'POST', headers: ctx.getRequestHeaders(), body: JSON.stringify({ name, data }) });
      if (!response.ok) throw new Error(`worldinfo edit: ${response.status}`);
      await ctx.updateWorldInfoList();
    }""", [name, entries])


def choose_lorebook(page: Page, name: str) -> None:
    """Pick it in the drawer, as a user does: the mouse goes to the list, then a choice."""
    stpage.open_extension_drawer(page)
    select = page.locator("#inline_images_looks_lorebook")
    select.scroll_into_view_if_needed()
    select.hover()
    select.select_option(name)


def count_warnings(page: Page) -> None:
    """Count the warnings shown from now on (the page's toastr, which our messages go through)."""
    page.evaluate("""() => {
      window.iigWarnings = [];
      const shown = toastr.warning.bind(toastr);
      toastr.warning = (message, ...rest) => { window.iigWarnings.push(String(message)); return shown(message, ...rest); };
    }""")


def warnings(page: Page, containing: str) -> list[str]:
    return [w for w in page.evaluate("() => window.iigWarnings") if containing in w]


def as_written(images: StandInImageServer, prompt: str) -> bool:
    """Whether the prompt reached the image server with nothing of ours added (Image
    Generation's own prefix is put before every prompt)."""
    prefix = sent_for(images, prompt).removesuffix(prompt)
    return all(look not in prefix for look in (INN["content"], SWORD["content"]))


def test_a_lorebooks_looks_reach_exactly_the_prompts_that_name_them(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    make_lorebook(page, "Harbour looks", [INN, SWORD])
    choose_lorebook(page, "Harbour looks")
    entries = page.locator("#inline_images_lore .iig-lore-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0).locator(".iig-lore-name")).to_have_text("Rusty Anchor")
    expect(entries.nth(0).locator(".iig-lore-keys")).to_contain_text("the inn")
    expect(entries.nth(0).locator(".iig-lore-look")).to_have_text(INN["content"])
    expect(entries.nth(1).locator(".iig-lore-name")).to_have_text("Dawnblade")
    expect(page.locator("#inline_images_lore_status")).to_contain_text("2 looks from 2 entries")
    # Read-only: nothing of ours edits an entry.
    expect(page.locator("#inline_images_lore textarea, #inline_images_lore input")).to_have_count(0)
    # The README's picture of it.
    page.locator("#inline_images_lore_part").screenshot(path=str(REPO_ROOT / "docs" / "lorebook.png"))

    one = "a quiet evening at the inn, rain on the windows"  # its second key
    other = "the Dawnblade resting on a velvet cloth"
    both = "Dawnblade laid on the bar of the Rusty Anchor"
    none = "a fishing boat leaving the harbour at dawn"
    draw_prompts(page, llm, images, [one, other, both, none])
    inn, sword = INN["content"], SWORD["content"]
    assert inn in sent_for(images, one) and sword not in sent_for(images, one)
    assert sword in sent_for(images, other) and inn not in sent_for(images, other)
    combined = sent_for(images, both)
    assert combined.index(sword) < combined.index(inn), "in the order named"
    assert inn not in sent_for(images, none) and sword not in sent_for(images, none)
    # The chat model was told the looks, in the {{cast}} block.
    system = "\n".join(str(m["content"]) for m in llm.generation_requests()[-1].messages if m["role"] == "system")
    assert f"- Rusty Anchor: {inn}" in system and f"- Dawnblade: {sword}" in system


def test_an_edit_saved_in_world_info_is_used_and_the_button_opens_the_editor_there(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    make_lorebook(page, "Harbour looks 2", [INN, SWORD])
    choose_lorebook(page, "Harbour looks 2")
    expect(page.locator("#inline_images_lore .iig-lore-entry")).to_have_count(2)
    page.click("#inline_images_lore_open")
    expect(page.locator("#WorldInfo")).to_be_visible()
    expect(page.locator("#world_editor_select option:checked")).to_have_text("Harbour looks 2")

    # Saved the way the editor saves an entry.
    page.evaluate("""async (name) => {
      const ctx = SillyTavern.getContext();
      const data = structuredClone(await ctx.loadWorldInfo(name));
      data.entries['1'].content = 'a black sword, red hilt';
      await ctx.saveWorldInfo(name, data, true);
    }""", "Harbour looks 2")
    stpage.open_extension_drawer(page)
    expect(page.locator("#inline_images_lore .iig-lore-look").nth(1)).to_have_text("a black sword, red hilt")
    prompt = "Dawnblade on a stone altar"
    draw_prompts(page, llm, images, [prompt])
    assert "a black sword, red hilt" in sent_for(images, prompt)
    assert SWORD["content"] not in sent_for(images, prompt)


def test_a_deleted_lorebook_gives_one_message_and_pictures_are_still_drawn(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    make_lorebook(page, "Doomed looks", [INN, SWORD])
    choose_lorebook(page, "Doomed looks")
    expect(page.locator("#inline_images_lore .iig-lore-entry")).to_have_count(2)
    count_warnings(page)
    # Deleted in SillyTavern's World Info, as a user does it.
    page.click("#inline_images_lore_open")
    expect(page.locator("#world_editor_select option:checked")).to_have_text("Doomed looks")
    page.click("#world_popup_delete")
    page.locator("dialog[open] .popup-button-ok").click()
    wait_until(lambda: "Doomed looks" not in page.locator("#world_editor_select option").all_inner_texts(),
               what="the lorebook gone from SillyTavern's list")

    prompts = ["the inn at midnight, lanterns swinging", "Dawnblade in the rain"]
    draw_prompts(page, llm, images, prompts)
    draw_prompts(page, llm, images, ["the Rusty Anchor's door, seen from the street"])
    for prompt in prompts:
        assert as_written(images, prompt), "drawn as written, without the lost looks"
    pictures = page.locator("#chat .mes .mes_text img[data-iig]")
    expect(pictures).to_have_count(3)
    assert len(warnings(page, '"Doomed looks" was not found')) == 1, page.evaluate("() => window.iigWarnings")
    stpage.open_extension_drawer(page)
    expect(page.locator("#inline_images_lore_status")).to_contain_text("Not found")
    expect(page.locator("#inline_images_lore .iig-lore-entry")).to_have_count(0)
    expect(page.locator("#inline_images_looks_lorebook option:checked")).to_contain_text("(not found)")
