"""Hostile prompts through every path a user sees, in a real SillyTavern: nothing runs and
nothing shows as markup. The prompts are the unit tests' list (tests/unit/hostile-prompts.js,
kept in step with hostile_prompts.json by a unit test)."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import Reply, StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import images_in, saved_messages, wait_until
from .test_presets import confirm, save_as

HOSTILE: list[str] = json.loads((Path(__file__).parent / "hostile_prompts.json").read_text())
MAX_PROMPT_CHARS = 2000  # src/format/tag-reading.js: longer content is not a tag
TAGGABLE = [p for p in HOSTILE if len(p) <= MAX_PROMPT_CHARS // 6]  # fits even if every character is encoded
TOO_LONG = [p for p in HOSTILE if len(p) > MAX_PROMPT_CHARS]
PLAIN = [p for p in TAGGABLE if not re.search(r"[&<>`\x00\ufeff]|-->", p)]

# Every script payload in the list calls alert(1); these make any of them leave a trace.
TRAP = """() => {
    window.__pwned = null;
    for (const name of ['alert', 'confirm', 'prompt']) window[name] = (...a) => { window.__pwned = name + ':' + a.join(); };
}"""


def encode(prompt: str) -> str:
    """A tag's content as our own encoder writes it (src/format/pictures.js encodePrompt)."""
    return re.sub(r'[\\&"<>]', lambda m: {"\\": "\\\\", "&": "&amp;", '"': "&quot;", "<": "&lt;", ">": "&gt;"}[m.group(0)],
                  prompt)


JS_SPACE = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def normalised(prompt: str) -> str:
    """What the parser makes of a prompt: whitespace collapsed and trimmed (JavaScript's \\s:
    U+FEFF but not the \\x1c-\\x1f that Python counts as space)."""
    return re.sub(JS_SPACE, " ", prompt).strip(" ")


def assert_nothing_ran(page: Page, markup_allowed_in: str = "") -> None:
    """No payload ran, and no element or attribute came out of a prompt. Messages matching
    `markup_allowed_in` hold the model's own HTML outside any tag, which SillyTavern shows
    sanitised with or without us: there only scripts and handlers count."""
    assert page.evaluate("() => window.__pwned") is None, page.evaluate("() => window.__pwned")
    found = page.evaluate("""(lenient) => {
        const bad = [];
        // In a popup, only its message counts: its own input box and buttons are SillyTavern's.
        for (const el of document.querySelectorAll('#chat .mes_text *, dialog[open] .popup-content *:not(.popup-input), #toast-container *')) {
            const tag = el.tagName.toLowerCase();
            const strict = !(lenient && el.closest('.mes_text')?.textContent.includes(lenient));
            const never = ['script', 'iframe', 'object', 'embed', 'form'];
            const markup = ['svg', 'math', 'template', 'noscript', 'style', 'textarea'];
            const where = el.closest('.mes_text') ? 'message' : el.closest('dialog') ? 'popup' : 'toast';
            if (never.includes(tag) || (strict && markup.includes(tag))) bad.push(`${tag} in a ${where}: ${el.outerHTML.slice(0, 120)}`);
            if (strict && tag === 'img' && !el.hasAttribute('data-iig') && el.closest('.mes_text')) bad.push('img ' + el.getAttribute('src'));
            for (const a of el.attributes) if (/^on/i.test(a.name) || /^\\s*(javascript|vbscript|data):/i.test(a.value) && a.name !== 'title' && a.name !== 'alt') bad.push(tag + ' ' + a.name);
        }
        return bad;
    }""", markup_allowed_in)
    assert found == [], found


def test_hostile_prompts_in_streaming_placeholders_tooltips_and_committed_pictures(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    page.evaluate(TRAP)
    held = images.gate("")  # every picture waits: the pending boxes show while the reply streams
    body = "".join(f"Part {i}. <img-prompt=\"{encode(p)}\">\n\n" for i, p in enumerate(HOSTILE))
    assert TOO_LONG, "the list has a prompt too long to be a tag (hidden, never drawn)"
    llm.settings.chunk_chars = 40
    llm.queue(Reply([body, "The end."]))
    stpage.send(page, "Do your worst.")
    last = page.locator("#chat .mes").last.locator(".mes_text")
    expect(last.locator('[data-iig-state="pending"]').first).to_be_visible(timeout=30_000)
    assert_nothing_ran(page)
    stpage.wait_idle(page)
    index = stpage.last_index(page)
    # Tooltips of the pending boxes are the prompts, as text. SillyTavern's markdown and
    # sanitiser still work on attribute text (an entity decoded once more, `x` in backticks as
    # a <code> *text*, an attribute that looks like a closing tag dropped), so only prompts
    # without such characters are compared exactly. (The raw copies add boxes of their own
    # where they still parse as tags.)
    titles = last.locator('[data-iig-state="pending"]').evaluate_all("els => els.map(e => e.title)")
    for prompt in PLAIN:
        assert normalised(prompt) in titles, (prompt, titles)
    assert_nothing_ran(page)
    held.open()
    wait_until(lambda: page.evaluate("() => globalThis.inlineImages.idle()"), timeout=120, what="every picture done")
    assert_nothing_ran(page)
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[index]["mes"]) and len(images_in(m)) >= len(TAGGABLE) and m,
                      timeout=30, what="the pictures saved")
    # Each encoded tag got its own picture whose title is exactly its prompt.
    titles_saved = [html.unescape(t) for _s, t in images_in(text)]
    for prompt in TAGGABLE:
        assert normalised(prompt) in titles_saved, prompt
    for prompt in TOO_LONG:
        assert normalised(prompt) not in titles_saved
    shown = last.locator("img[data-iig]").evaluate_all("els => els.map(e => e.title)")
    assert len(shown) >= len(TAGGABLE)
    for prompt in PLAIN:
        assert normalised(prompt) in shown, prompt
    # The reader sees no tag text or fragment of one.
    visible = last.inner_text()
    assert "img-prompt" not in visible
    assert "The end." in visible
    # The same prompts as a careless model writes them, unencoded: each is drawn or hidden,
    # and around them the model's own markup is shown the way SillyTavern shows it, sanitised.
    raw = "".join(f"Raw {i}. <img-prompt=\"{p}\">\n\n" for i, p in enumerate(HOSTILE))
    llm.queue(Reply([raw, "Raw end."]))
    stpage.send(page, "Again, carelessly.")
    stpage.wait_idle(page)
    wait_until(lambda: page.evaluate("() => globalThis.inlineImages.idle()"), timeout=120, what="every raw picture done")
    assert_nothing_ran(page, markup_allowed_in="Raw end.")
    assert "img-prompt" not in page.locator("#chat .mes").last.locator(".mes_text").inner_text()


def test_hostile_prompts_in_failed_boxes_the_action_menu_edit_prompt_and_the_slash_command(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    page.evaluate(TRAP)
    sample = TAGGABLE[:6] + TAGGABLE[-3:]
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_retries", "0")
    page.click("#extensions-settings-button .drawer-toggle")
    images.behaviour.fail_first = len(sample)
    llm.queue(" ".join(f"Part {i}. <img-prompt=\"{encode(p)}\">" for i, p in enumerate(sample)) + " Fin.")
    stpage.send(page, "Fail them all.")
    stpage.wait_idle(page)
    last = page.locator("#chat .mes").last.locator(".mes_text")
    failed = last.locator('[data-iig-state="failed"]')
    expect(failed).to_have_count(len(sample), timeout=60_000)
    titles = failed.evaluate_all("els => els.map(e => e.title)")
    for prompt in sample:
        if prompt in PLAIN:  # see the first test: SillyTavern's markdown works on attribute text
            assert any(t.startswith(normalised(prompt)) for t in titles), prompt
    assert_nothing_ran(page)
    # The slash command draws them (append), and takes a hostile argument as plain text.
    result = page.evaluate("async () => (await SillyTavern.getContext().executeSlashCommandsWithOptions('/inline-images')).pipe")
    assert result == str(len(sample))
    expect(last.locator("img[data-iig]")).to_have_count(len(sample), timeout=30_000)
    page.evaluate("""async () => { try { await SillyTavern.getContext().executeSlashCommandsWithOptions('/inline-images "<img src=x onerror=alert(1)>"'); } catch {} }""")
    page.wait_for_timeout(500)
    assert_nothing_ran(page)
    # The viewer shows the prompt as text.
    picture = last.locator("img[data-iig]").first
    picture.click()
    popup = page.locator("dialog.iig-viewer[open] .iig-viewer-prompt")
    expect(popup).to_have_text(normalised(sample[0]))
    assert popup.evaluate("el => el.children.length") == 0
    assert_nothing_ran(page)
    # Edit prompt: a new hostile prompt goes into the tag encoded and is drawn exactly.
    page.locator("dialog.iig-viewer[open] .iig-viewer-edit").click()
    new_prompt = HOSTILE[16]  # an iframe with srcdoc
    stpage.popup_input(page, new_prompt)
    index = stpage.last_index(page)
    text = wait_until(lambda: (m := saved_messages(sillytavern, page)[index]["mes"])
                      and normalised(new_prompt) in [html.unescape(t) for _s, t in images_in(m)] and m,
                      what="the edited prompt drawn and saved")
    assert f'<img-prompt="{encode(normalised(new_prompt))}">' in text
    assert_nothing_ran(page)


def test_hostile_preset_names_are_shown_as_text(page: Page) -> None:
    page.evaluate(TRAP)
    stpage.open_extension_drawer(page)
    for name in [HOSTILE[0], HOSTILE[5], HOSTILE[16], HOSTILE[21]]:
        save_as(page, name)
        expect(page.locator("#inline_images_preset")).to_have_value(name)
        page.click("#inline_images_preset_delete")
        dialog = confirm(page, "delete the preset")
        expect(dialog).to_contain_text(name)
        assert_nothing_ran(page)
        dialog.locator(".popup-button-ok").click()
        expect(page.locator("#inline_images_preset")).to_have_value("Default")
    assert_nothing_ran(page)
