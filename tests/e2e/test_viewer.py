"""Looking at the pictures: the viewer (a click on a picture), the gallery, the progress
count in a message's header, on a desktop and on a phone-sized screen."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.chats import write_illustrated_chat
from testbed.png import draw_prompt_png
from testbed.sillytavern import REPO_ROOT, SillyTavern

from .helpers import images_in, saved_messages, tag, wait_until

VIEWER = "dialog.iig-viewer[open]"
GALLERY = "dialog.iig-gallery[open]"


def mes(page: Page, index: int):  # type: ignore[no-untyped-def]
    return page.locator(f"#chat .mes[mesid='{index}']")


def illustrated_story(page: Page, llm: StandInLLM, sillytavern: SillyTavern) -> tuple[int, int]:
    """Two replies: the first with two pictures, the second with one. Their indexes."""
    llm.queue("The gate. " + tag("an iron gate in fog") + " The yard. " + tag("a cobbled yard with a well") + " End.")
    stpage.send(page, "Go in.")
    first = stpage.last_index(page)
    expect(mes(page, first).locator(".mes_text img[data-iig]")).to_have_count(2, timeout=30_000)
    llm.queue("The tower. " + tag("a crooked tower under stars") + " Night.")
    stpage.send(page, "Climb.")
    second = stpage.last_index(page)
    expect(mes(page, second).locator(".mes_text img[data-iig]")).to_have_count(1, timeout=30_000)
    stpage.wait_idle(page)
    wait_until(lambda: page.evaluate("() => globalThis.inlineImages.idle()"), what="the extension idle")
    for index in (first, second):
        for picture in mes(page, index).locator(".mes_text img[data-iig]").all():
            page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=picture.element_handle())
    return first, second


def shown_width(page: Page, selector: str) -> float:
    """The width the picture is painted at (object-fit: contain letterboxes it in its box)."""
    return float(page.evaluate("""(sel) => {
        const img = document.querySelector(sel);
        const box = img.getBoundingClientRect();
        const scale = Math.min(box.width / img.naturalWidth, box.height / img.naturalHeight);
        return getComputedStyle(img).objectFit === 'contain' ? img.naturalWidth * scale : box.width;
    }""", selector))


def viewer_src(page: Page) -> str:
    return str(page.locator(f"{VIEWER} .iig-viewer-image").evaluate("el => el.src"))


def test_a_click_shows_the_picture_larger_and_the_arrows_go_through_the_chat(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    first, second = illustrated_story(page, llm, sillytavern)
    inline = mes(page, first).locator(".mes_text img[data-iig]").first
    inline_width = float(inline.evaluate("el => el.getBoundingClientRect().width"))
    inline_src = str(inline.evaluate("el => el.src"))
    inline.click()
    viewer = page.locator(VIEWER)
    expect(viewer).to_be_visible()
    assert viewer_src(page) == inline_src
    page.wait_for_function("() => document.querySelector('dialog.iig-viewer .iig-viewer-image').complete")
    assert shown_width(page, "dialog.iig-viewer .iig-viewer-image") > inline_width * 1.2, "larger than inline"
    expect(viewer.locator(".iig-viewer-prompt")).to_have_text("an iron gate in fog")
    expect(viewer.locator(".iig-viewer-count")).to_have_text("1 / 3")
    # Download is the original file.
    saved = [src for m in saved_messages(sillytavern, page) for src, _ in images_in(m["mes"])]
    download = viewer.locator(".iig-viewer-download")
    assert download.evaluate("el => el.href") == sillytavern.url.rstrip("/") + saved[0]
    assert download.get_attribute("download", timeout=1000), "it downloads rather than navigates"
    # Actual size, and back.
    viewer.locator(".iig-viewer-size").click()
    natural = float(page.evaluate("() => document.querySelector('dialog.iig-viewer .iig-viewer-image').naturalWidth"))
    assert abs(shown_width(page, "dialog.iig-viewer .iig-viewer-image") - natural) < 1
    viewer.locator(".iig-viewer-size").click()
    # → goes to the next picture, then to the one in the next message; ← back.
    page.keyboard.press("ArrowRight")
    expect(viewer.locator(".iig-viewer-prompt")).to_have_text("a cobbled yard with a well")
    page.keyboard.press("ArrowRight")
    expect(viewer.locator(".iig-viewer-prompt")).to_have_text("a crooked tower under stars")
    assert viewer_src(page) == mes(page, second).locator(".mes_text img[data-iig]").first.evaluate("el => el.src")
    expect(viewer.locator(".iig-viewer-next")).to_be_disabled()
    viewer.locator(".iig-viewer-prev").click()
    expect(viewer.locator(".iig-viewer-count")).to_have_text("2 / 3")
    page.keyboard.press("Escape")
    expect(page.locator("dialog.iig-viewer")).to_have_count(0)
    # A click outside the viewer closes it too.
    inline.click()
    expect(viewer).to_be_visible()
    page.mouse.click(3, 3)
    expect(page.locator("dialog.iig-viewer")).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 800})
    inline.click()
    page.wait_for_function("() => document.querySelector('dialog.iig-viewer .iig-viewer-image')?.complete")
    page.screenshot(path=str(REPO_ROOT / "docs" / "viewer.png"))
    page.keyboard.press("Escape")
    # Nothing was written by looking, and the arrows did not reach SillyTavern (where they
    # swipe the last reply).
    page.wait_for_timeout(500)
    assert len([r for r in llm.requests if r.path.endswith("completions")]) == 2, "no swipe was generated"
    assert stpage.chat(page)[-1].get("swipe_id", 0) == 0
    assert [src for m in saved_messages(sillytavern, page) for src, _ in images_in(m["mes"])] == saved
    assert len(images.requests) >= 3


def test_the_viewer_works_with_the_keyboard_alone_and_fits_a_phone(
        page: Page, llm: StandInLLM, sillytavern: SillyTavern) -> None:
    illustrated_story(page, llm, sillytavern)
    page.set_viewport_size({"width": 390, "height": 844})
    # The gallery by its command, then only keys.
    assert page.evaluate("async () => (await SillyTavern.getContext().executeSlashCommandsWithOptions('/iig-gallery')).pipe") == "3"
    expect(page.locator(GALLERY)).to_be_visible()
    assert page.evaluate("() => document.activeElement?.classList.contains('iig-gallery-thumb')")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    viewer = page.locator(VIEWER)
    expect(viewer).to_be_visible()
    expect(viewer.locator(".iig-viewer-count")).to_have_text("2 / 3")
    page.keyboard.press("ArrowLeft")
    expect(viewer.locator(".iig-viewer-count")).to_have_text("1 / 3")
    page.wait_for_function("() => document.querySelector('dialog.iig-viewer .iig-viewer-image')?.complete")
    # It fits the screen: the dialog, the picture and every button are inside the viewport.
    boxes = page.evaluate("""() => [...document.querySelectorAll(`dialog.iig-viewer, dialog.iig-viewer .iig-viewer-image,
        dialog.iig-viewer .iig-viewer-prev, dialog.iig-viewer .iig-viewer-next, dialog.iig-viewer .iig-viewer-close`)]
        .map((el) => { const r = el.getBoundingClientRect(); return [el.className, r.left, r.top, r.right, r.bottom]; })""")
    for name, left, top, right, bottom in boxes:
        assert left >= 0 and top >= 0 and right <= 390 and bottom <= 844, (name, left, top, right, bottom)
    assert shown_width(page, "dialog.iig-viewer .iig-viewer-image") > 300, "the picture uses the phone's width"
    page.screenshot(path=str(REPO_ROOT / "docs" / "viewer-phone.png"))
    # Esc closes the viewer and gives the focus back to the thumbnail it came from.
    page.keyboard.press("Escape")
    expect(page.locator("dialog.iig-viewer")).to_have_count(0)
    assert page.evaluate("() => document.activeElement?.dataset?.at") == "1"
    page.keyboard.press("Escape")
    expect(page.locator("dialog.iig-gallery")).to_have_count(0)


def test_the_gallery_lists_every_picture_and_goes_to_its_message(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern) -> None:
    first, second = illustrated_story(page, llm, sillytavern)
    images.behaviour.fail_prompts_containing = "broken"
    llm.queue("No luck. " + tag("a broken mirror") + " Plain text follows.")
    stpage.send(page, "Look.")
    stpage.wait_idle(page)
    expect(page.locator("#chat .mes").last.locator('[data-iig-state="failed"]')).to_have_count(1, timeout=60_000)
    saved = [(i, src) for i, m in enumerate(saved_messages(sillytavern, page)) for src, _ in images_in(m["mes"])]
    assert len(saved) == 3
    # From the wand menu.
    page.locator("#extensionsMenuButton").click()
    page.locator("#iig_gallery_wand").click()
    gallery = page.locator(GALLERY)
    expect(gallery).to_be_visible()
    thumbs = gallery.locator(".iig-gallery-thumb img")
    expect(thumbs).to_have_count(3)
    expect(gallery.locator(".iig-gallery-count")).to_contain_text("3")
    assert [g.get_attribute("data-mesid") for g in gallery.locator(".iig-gallery-group").all()] == [str(first), str(second)]
    shown = thumbs.evaluate_all("els => els.map((e) => new URL(e.src).pathname)")
    assert shown == [src for _i, src in saved], "exactly the chat's pictures, in story order"
    assert set(thumbs.evaluate_all("els => els.map((e) => e.loading)")) == {"lazy"}
    assert gallery.locator(".iig-gallery-thumb").first.get_attribute("title") == "an iron gate in fog"
    gallery.locator(".iig-gallery-thumb img").first.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('dialog.iig-gallery img')].every((i) => i.complete)")
    page.screenshot(path=str(REPO_ROOT / "docs" / "gallery.png"))
    # A thumbnail opens the viewer on it.
    gallery.locator(".iig-gallery-thumb").nth(2).click()
    expect(page.locator(f"{VIEWER} .iig-viewer-prompt")).to_have_text("a crooked tower under stars")
    page.keyboard.press("Escape")
    # Go to message: the chat scrolls to that message's picture.
    page.evaluate("() => { const c = document.getElementById('chat'); c.scrollTop = c.scrollHeight; }")
    page.set_viewport_size({"width": 1280, "height": 500})
    page.evaluate("() => { const c = document.getElementById('chat'); c.scrollTop = c.scrollHeight; }")
    target = mes(page, first).locator(".mes_text img[data-iig]").first

    def in_view() -> bool:
        return bool(target.evaluate("""(el) => { const r = el.getBoundingClientRect();
            const c = document.getElementById('chat').getBoundingClientRect();
            return r.bottom > c.top && r.top < c.bottom; }"""))

    assert not in_view(), "the test needs the first picture scrolled away"
    gallery.locator(".iig-gallery-goto").first.click()
    expect(page.locator("dialog.iig-gallery")).to_have_count(0)
    wait_until(in_view, timeout=5, what="the picture scrolled into view")
    # The drawer has the button too.
    stpage.open_extension_drawer(page)
    page.locator("#inline_images_gallery").click()
    expect(page.locator(GALLERY).locator(".iig-gallery-thumb")).to_have_count(3)


def test_a_message_shows_how_far_its_pictures_are_while_they_are_drawn(
        page: Page, llm: StandInLLM, images: StandInImageServer) -> None:
    slow = images.gate("slow")
    llm.queue("One. " + tag("a quick sketch of a cat") + " Two. " + tag("a slow painting of a ship")
              + " Three. " + tag("a slow painting of a harbour") + " End.")
    stpage.send(page, "Paint.")
    block = page.locator("#chat .mes").last
    count = block.locator(".ch_name .iig-progress")
    expect(count).to_have_text("drawing picture 2 of 3", timeout=30_000)
    expect(block.locator(".mes_text img[data-iig]")).to_have_count(1)
    slow.open()
    expect(block.locator(".mes_text img[data-iig]")).to_have_count(3, timeout=30_000)
    expect(count).to_have_count(0)


def test_the_gallery_of_2000_pictures_fetches_only_what_is_on_screen(page: Page, sillytavern: SillyTavern) -> None:
    """1,000 messages, 2,000 pictures, each its own file: opening the gallery fetches the
    thumbnails in view (and at most a row more), and scrolling fetches the ones scrolled to."""
    avatar = str(page.evaluate("() => SillyTavern.getContext().characters.find((c) => c.name === 'Seraphina').avatar"))
    write_illustrated_chat(sillytavern, avatar, "Seraphina", "gallery long chat", 500, 4, draw_prompt_png("a thumbnail"),
                           files="gallery")
    page.evaluate("async (n) => { await SillyTavern.getContext().openCharacterChat(n); }", "gallery long chat")
    wait_until(lambda: page.evaluate("() => SillyTavern.getContext().chat.length") == 1000, what="the long chat open")
    stpage.wait_idle(page)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/user/images/Seraphina/gallery_" in r.url else None)
    page.evaluate("() => SillyTavern.getContext().executeSlashCommandsWithOptions('/iig-gallery')")
    gallery = page.locator(GALLERY)
    expect(gallery.locator(".iig-gallery-count")).to_contain_text("2000")
    expect(gallery.locator(".iig-gallery-thumb")).to_have_count(2000)
    page.wait_for_function("""() => [...document.querySelectorAll('dialog.iig-gallery img[src]')].every((i) => i.complete)
        && document.querySelectorAll('dialog.iig-gallery img[src]').length > 0""")
    page.wait_for_timeout(500)

    def thumbs_near_view() -> int:
        """Thumbnails within a row (the loader's 100 px, plus a thumbnail) of the grid's view."""
        return int(page.evaluate("""() => {
            const box = document.querySelector('dialog.iig-gallery .iig-gallery-groups').getBoundingClientRect();
            return [...document.querySelectorAll('dialog.iig-gallery .iig-gallery-thumb')].filter((t) => {
                const r = t.getBoundingClientRect();
                return r.height > 0 && r.bottom >= box.top - 100 - r.height && r.top <= box.bottom + 100 + r.height;
            }).length;
        }"""))

    near = thumbs_near_view()
    first = len(set(fetched))
    assert 0 < first <= near, f"{first} thumbnails fetched with {near} in or next to the view"
    assert first < 100, f"{first} of 2,000 fetched when the gallery opened"
    # A jump to the middle fetches what is shown there, not everything in between.
    page.evaluate("() => { const g = document.querySelector('dialog.iig-gallery .iig-gallery-groups'); g.scrollTop = g.scrollHeight / 2; }")
    # (Playwright hands over its events only while it runs a call: wait in the page.)
    page.wait_for_function("""() => [...document.querySelectorAll('dialog.iig-gallery img[src]')].length > 20
        && [...document.querySelectorAll('dialog.iig-gallery img[src]')].every((i) => i.complete)""")
    page.wait_for_timeout(500)
    middle = len(set(fetched)) - first
    assert 0 < middle <= thumbs_near_view(), f"{middle} fetched for the middle"
    assert all(240 <= int(u.split("gallery_")[1].split("_")[0]) <= 260 for u in set(fetched) if u not in fetched[:first])
    # The end: the last thumbnails show (the chat on screen had loaded those files already).
    page.evaluate("() => { const g = document.querySelector('dialog.iig-gallery .iig-gallery-groups'); g.scrollTop = g.scrollHeight; }")
    last = gallery.locator(".iig-gallery-thumb img").last
    page.wait_for_function("(img) => img.src && img.complete", arg=last.element_handle())
    assert "gallery_499_3.png" in (last.get_attribute("src") or "")
    assert len(set(fetched)) < 100, f"{len(set(fetched))} of 2,000 fetched in all"
    print(f"\ngallery of 2,000 pictures: {first} fetched on opening, {middle} for a jump to the middle")
