"""The illustrated story leaves the chat: the web page (read offline, in a page that can fetch
nothing), the EPUB book (checked by epubcheck), a picture whose file is gone, and a chat of
1,000 messages with 2,000 pictures."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import time
import zipfile
from xml.etree import ElementTree
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from testbed import stpage
from testbed.chats import write_illustrated_chat
from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.png import draw_prompt_png
from testbed.sillytavern import REPO_ROOT, SillyTavern

from .helpers import images_in, saved_messages, tag, wait_until
from .test_hostile import HOSTILE, TRAP, encode

ARTIFACTS = REPO_ROOT / "test-artifacts" / "export"
HOSTILE_PROSE = 'She smiled. <script>alert(1)</script><img src=x onerror="alert(2)"> <a href="javascript:alert(3)">a link</a> The end.'


def illustrated_story(page: Page, llm: StandInLLM) -> list[str]:
    """Four replies: two pictures; one picture; the whole hostile corpus as tags, then the same
    prompts as a careless model writes them (unencoded), with hostile prose. Their sentences."""
    sentences = ["The gate stood open in the fog.", "The tower leaned under the stars.", HOSTILE_PROSE]
    llm.queue(f"{sentences[0]} {tag('an iron gate in fog')}\n\nThe yard was empty. {tag('a cobbled yard with a well')} Quiet.")
    stpage.send(page, "Go in.")
    stpage.wait_idle(page)
    llm.queue(f"{sentences[1]} {tag('a crooked tower under stars')} Night fell.")
    stpage.send(page, "Climb.")
    stpage.wait_idle(page)
    llm.queue("".join(f"Part {i}. <img-prompt=\"{encode(p)}\">\n\n" for i, p in enumerate(HOSTILE)) + "Encoded end.")
    stpage.send(page, "Do your worst.")
    stpage.wait_idle(page)
    llm.queue("".join(f"Raw {i}. <img-prompt=\"{p}\">\n\n" for i, p in enumerate(HOSTILE)) + HOSTILE_PROSE)
    stpage.send(page, "Again, carelessly.")
    stpage.wait_idle(page)
    wait_until(lambda: page.evaluate("() => globalThis.inlineImages.idle()"), timeout=180, what="every picture drawn")
    return sentences


def epubcheck() -> list[str]:
    """Debian's epubcheck is the jar itself, run through binfmt, which containers often lack."""
    found = shutil.which("epubcheck")
    assert found, "epubcheck is missing: scripts/test installs it (apt-get install epubcheck)"
    jar = Path(found).resolve()
    return ["java", "-jar", str(jar)] if jar.suffix == ".jar" else [found]


def as_exported(alt: str) -> str:
    """A picture's alt as the exported file has it: what neither HTML nor XML can hold (NUL and
    the other C0 controls) is U+FFFD, as a browser shows it."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", html.unescape(alt))


def our_pictures(sillytavern: SillyTavern, page: Page) -> list[tuple[str, str]]:
    return [p for m in saved_messages(sillytavern, page) if not m.get("is_user") for p in images_in(m["mes"])]


def export(page: Page, command: str) -> Path:
    """Run an export command and keep the file it downloads."""
    with page.expect_download(timeout=120_000) as info:
        page.evaluate("async (c) => { await SillyTavern.getContext().executeSlashCommandsWithOptions(c); }", command)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / info.value.suggested_filename
    info.value.save_as(path)
    return path


def open_offline(chromium: Browser, path: Path) -> tuple[Page, list[str]]:
    """The file in a fresh browser page that can fetch nothing at all, with the script trap set."""
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    requests: list[str] = []

    def refuse(route: Any) -> None:
        requests.append(route.request.url)
        route.abort()

    context.route("**/*", refuse)
    reader = context.new_page()
    reader.add_init_script(f"({TRAP})()")
    reader.set_content(path.read_text(encoding="utf-8"), wait_until="load")
    return reader, requests


def check_web_page(page: Page, chromium: Browser, pictures: list[tuple[str, str]], sentences: list[str]) -> None:
    """Exported from the wand menu with captions, read in a page that can fetch nothing."""
    # From the wand menu, as a user does it: the dialog, then the download.
    page.locator("#extensionsMenuButton").click()
    page.locator("#iig_export_wand").click()
    dialog = page.locator("dialog[open] .iig-export-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[name='iig-export-captions']").check()
    with page.expect_download(timeout=120_000) as info:
        stpage.popup_click(page, "Export")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".html" and "Seraphina" in path.name
    reader, requests = open_offline(chromium, path)
    try:
        shown = reader.locator("figure.picture img")
        expect(shown).to_have_count(len(pictures))
        reader.wait_for_function("() => [...document.images].every((i) => i.complete)")
        broken = reader.evaluate("() => [...document.querySelectorAll('figure.picture img')].filter((i) => !i.naturalWidth).map((i) => i.alt)")
        assert broken == [], broken
        assert reader.evaluate("() => [...document.querySelectorAll('figure.picture img')].map((i) => i.alt)") == [as_exported(p) for _s, p in pictures]
        # The captions are the prompts as text (a hostile one reads as what it is); the rest is the story.
        text = str(reader.evaluate("() => { const b = document.body.cloneNode(true); b.querySelectorAll('figcaption').forEach((c) => c.remove()); return b.innerText; }"))
        for sentence in sentences[:2]:
            assert sentence in text
        assert "She smiled." in text and "The end." in text and "Encoded end." in text
        # No tag text. (The tail of a prompt too long to be a tag is the model's text, shown as
        # text as the chat shows it; only elements and handlers would be markup.)
        assert "img-prompt" not in text
        expect(reader.locator("figcaption").first).to_have_text("an iron gate in fog")
        assert reader.evaluate("() => window.__pwned") is None
        markup = reader.locator("main script, main iframe, main object, main embed, main svg, main math, main form, main style, main template, main textarea, main noscript")
        assert markup.count() == 0, markup.evaluate_all("(els) => els.map((e) => e.outerHTML.slice(0, 120))")
        assert reader.evaluate("() => [...document.querySelectorAll('main img')].filter((i) => !i.closest('.picture')).length") == 0
        handlers = reader.evaluate("() => [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => e.tagName + ' ' + a.name))")
        assert handlers == [], handlers
        csp = reader.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content") or ""
        assert "default-src 'none'" in csp and "script-src" not in csp.replace("default-src", "")
        assert [u for u in requests if not u.startswith("data:")] == [], requests
        reader.locator("section.message").nth(2).evaluate("(el) => el.scrollIntoView({ block: 'start' })")
        reader.screenshot(path=str(REPO_ROOT / "docs" / "export.png"))
    finally:
        reader.context.close()


def check_book(page: Page, pictures: list[tuple[str, str]], sentences: list[str]) -> None:
    """Exported with the slash command: its files, its pages, and epubcheck."""
    path = export(page, "/iig-export format=epub")
    assert path.suffix == ".epub"
    with zipfile.ZipFile(path) as book:
        first = book.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        names = book.namelist()
        files = [n for n in names if n.startswith("OEBPS/images/") and not n.endswith("/")]
        assert len(files) == len({src for src, _p in pictures}) == len(pictures), (files, pictures)
        chapters = "".join(book.read(n).decode() for n in names if re.match(r"OEBPS/chapter-\d+\.xhtml", n))
        for sentence in sentences[:2]:
            assert sentence in chapters
        for name in (n for n in names if n.endswith(".xhtml")):
            for element in ElementTree.fromstring(book.read(name)).iter():
                local = element.tag.rsplit("}", 1)[-1]
                assert local not in ("script", "iframe", "object", "embed", "style", "svg", "math"), (name, local)
                assert not [a for a in element.attrib if a.rsplit("}", 1)[-1].lower().startswith("on")], (name, element.attrib)
        assert "img-prompt" not in html.unescape(re.sub(r"<[^>]+>", "", chapters)), "no tag text in the prose"
        opf = book.read("OEBPS/content.opf").decode()
        assert 'properties="cover-image"' in opf and "<dc:title>Seraphina</dc:title>" in opf
    result = subprocess.run(epubcheck() + [str(path)], capture_output=True, text=True, timeout=300)
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "ERROR" not in report and "FATAL" not in report, report


def test_the_story_exports_as_a_page_that_reads_offline_and_a_book_that_passes_epubcheck(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern, chromium: Browser) -> None:
    sentences = illustrated_story(page, llm)
    pictures = our_pictures(sillytavern, page)
    assert len(pictures) >= 40, pictures
    check_web_page(page, chromium, pictures, sentences)
    check_book(page, pictures, sentences)


def test_a_picture_whose_file_is_gone_becomes_a_note_and_the_export_says_how_many(
        page: Page, llm: StandInLLM, images: StandInImageServer, sillytavern: SillyTavern, chromium: Browser) -> None:
    llm.queue(f"The gate. {tag('an iron gate in fog')} The yard. {tag('a cobbled yard with a well')} End.")
    stpage.send(page, "Go in.")
    stpage.wait_idle(page)
    wait_until(lambda: page.evaluate("() => globalThis.inlineImages.idle()"), timeout=60, what="the pictures drawn")
    pictures = our_pictures(sillytavern, page)
    gone = sillytavern.user_dir / pictures[0][0].lstrip("/")
    assert gone.exists(), gone
    gone.unlink()
    path = export(page, "/iig-export")
    wait_until(lambda: any("1 of 2 picture(s) were not found" in t for t in stpage.toasts(page)), what="the toast")
    reader, _requests = open_offline(chromium, path)
    try:
        expect(reader.locator("figure.picture img")).to_have_count(1)
        expect(reader.locator(".missing-picture")).to_contain_text("an iron gate in fog")
        assert "The yard." in reader.locator("body").inner_text()
    finally:
        reader.context.close()


def test_a_chat_of_1000_messages_and_2000_pictures_exports_as_a_page_and_a_book(
        page: Page, sillytavern: SillyTavern) -> None:
    avatar = str(page.evaluate("() => SillyTavern.getContext().characters.find((c) => c.name === 'Seraphina').avatar"))
    write_illustrated_chat(sillytavern, avatar, "Seraphina", "export long chat", 500, 4, draw_prompt_png("a long chat"))
    page.evaluate("async (n) => { await SillyTavern.getContext().openCharacterChat(n); }", "export long chat")
    wait_until(lambda: page.evaluate("() => SillyTavern.getContext().chat.length") == 1000, what="the long chat open")
    time.sleep(4)  # SillyTavern counts the opened chat's tokens a moment later: not the export's time
    stpage.wait_idle(page)
    page.evaluate("""() => {
        window.__longest = 0;
        new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
            .observe({ type: 'longtask', buffered: false });
    }""")
    for command, suffix in (("/iig-export", ".html"), ("/iig-export format=epub", ".epub")):
        page.evaluate("() => { window.__longest = 0; }")
        started = time.monotonic()
        path = export(page, command)
        seconds = time.monotonic() - started
        assert path.suffix == suffix
        if suffix == ".html":
            text = path.read_text(encoding="utf-8")
            assert len(re.findall(r'<figure class="picture"><img src="data:image/png;base64,', text)) == 2000
            assert text.count('class="message user"') == 500 and text.count('class="message character"') == 500
        else:
            with zipfile.ZipFile(path) as book:
                chapters = [n for n in book.namelist() if re.match(r"OEBPS/chapter-\d+\.xhtml", n)]
                assert sum(book.read(n).decode().count("<figure") for n in chapters) == 2000
        longest = float(page.evaluate("() => window.__longest"))
        print(f"\nexport of 1,000 messages, 2,000 pictures ({suffix}): {seconds:.1f} s, "
              f"{path.stat().st_size / 1e6:.1f} MB, longest main-thread task {longest:.0f} ms")
