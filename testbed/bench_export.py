"""`python -m testbed.bench_export`: exporting a long illustrated chat, end to end.

In a real SillyTavern with the stand-ins, a chat of N messages (half the user's, half the
character's, each reply with 4 pictures, a file each as a chat drawn for real has) is opened
and exported as a web page and as an EPUB book with `/iig-export`. For each it prints the time from the command to
the download, the file's size, the longest main-thread task while it ran (Chromium's Long
Tasks API: anything over 50 ms) and the page's JavaScript heap before and after.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from playwright.sync_api import Page

from . import stpage
from .chats import write_illustrated_chat
from .png import draw_prompt_png
from .session import standin_session

WATCH_JS = """() => {
  window.__longest = 0;
  window.__tasks = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { window.__longest = Math.max(window.__longest, e.duration); window.__tasks++; }
  }).observe({ type: 'longtask', buffered: false });
}"""
HEAP_JS = "() => performance.memory ? performance.memory.usedJSHeapSize / 1e6 : NaN"


def export(page: Page, command: str, folder: Path) -> tuple[float, float, float, int, float]:
    """(seconds, MB, longest task ms, long tasks, heap MB after) of one export."""
    page.evaluate("() => { window.__longest = 0; window.__tasks = 0; }")
    started = time.monotonic()
    with page.expect_download(timeout=600_000) as info:
        page.evaluate("async (c) => { await SillyTavern.getContext().executeSlashCommandsWithOptions(c); }", command)
    seconds = time.monotonic() - started
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    longest, tasks = page.evaluate("() => [window.__longest, window.__tasks]")
    return seconds, path.stat().st_size / 1e6, float(longest), int(tasks), float(page.evaluate(HEAP_JS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000, help="messages in the chat (default 1000: 2,000 pictures)")
    args = parser.parse_args(argv)
    replies = args.messages // 2
    with standin_session() as session, TemporaryDirectory() as folder:
        page = session.page
        avatar = str(page.evaluate("() => SillyTavern.getContext().characters.find((c) => c.name === 'Seraphina').avatar"))
        write_illustrated_chat(session.st, avatar, "Seraphina", "bench export chat", replies, 4, draw_prompt_png("a long chat"),
                               files="bench_export")
        page.evaluate("async (n) => { await SillyTavern.getContext().openCharacterChat(n); }", "bench export chat")
        page.wait_for_function("(n) => SillyTavern.getContext().chat.length === n", arg=2 * replies, timeout=120_000)
        # SillyTavern counts the opened chat's tokens a moment later (a long task of its own,
        # seen at 1-2 s): measured here as a reference, not charged to the export.
        page.evaluate(WATCH_JS)
        time.sleep(4)
        stpage.wait_idle(page)
        print(f"reference: SillyTavern after opening the chat: longest task {float(page.evaluate('() => window.__longest')):.0f} ms")
        heap = float(page.evaluate(HEAP_JS))
        print(f"chat: {2 * replies} messages, {4 * replies} pictures; page heap before: {heap:.0f} MB")
        print(f"{'export':<8} {'time':>8} {'size':>9} {'longest task':>13} {'tasks > 50 ms':>14} {'heap after':>11}")
        for name, command in (("html", "/iig-export"), ("epub", "/iig-export format=epub")):
            seconds, mb, longest, tasks, after = export(page, command, Path(folder))
            print(f"{name:<8} {seconds:>7.1f}s {mb:>7.1f}MB {longest:>11.0f}ms {tasks:>14} {after:>9.0f}MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
