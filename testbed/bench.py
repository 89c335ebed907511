"""`python -m testbed.bench [--runs N] [--quick]`: what the extension costs, in a real SillyTavern.

SillyTavern 1.19.0 + Chromium + the stand-ins. A fixed story (about 600 words streamed at about
60 words/s, 4 `<img-prompt>` tags, image backend latency 800 ms) is played N times with the
extension on and N times with it off, interleaved (on/off, then off/on, ...), each time in a
fresh page; every such phase also opens chats of 60, 200 and 1,000 illustrated messages (2
pictures each; `--sizes`) and plays the story at the end of each. Then 100 short illustrated
replies in one page (on, then off) for the memory figures.
It prints a table of figures with their targets and asserts nothing. Figures are noisy on a
busy 2-core machine: read them as a range, rerun before believing a small difference.

Off means SillyTavern's own extension toggle (`disabledExtensions`): the extension's code is
not loaded at all, so "off" is plain SillyTavern. The extension's own "enabled" setting would
leave its listeners, display hook and interceptor (pruning) running, which is the cost being
measured, so it would not be an honest baseline.

Clocks: the stand-ins stamp `time.monotonic()` (CLOCK_MONOTONIC); the page stamps
`performance.now()`, which Chromium derives from the same CLOCK_MONOTONIC on Linux (only its
origin differs). After every page load the offset between them is measured from the
`page.evaluate` round trip with the smallest RTT (offset known to +-RTT/2, printed), so
Python-side and page-side stamps compare directly. Figures with both ends in one process
(detect: both in the stand-ins; emit and render costs: both in the page) need no offset.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from . import browser as tb_browser
from . import stpage
from .images import StandInImageServer
from .llm import StandInLLM
from .chats import write_illustrated_chat
from .png import draw_prompt_png
from .bench_page import (CHUNK_CHARS, DEBUG_JS, IMAGE_LATENCY, INSTRUMENT_JS, RESET_JS, SEND_JS, STORY, STORY_PROMPTS,
                         STORY_WORDS, WORDS_PER_S)
from .bench_report import Samples, report
from .sillytavern import EXTENSION_FOLDER, REPO_ROOT, Backends, SillyTavern

EXTENSION_ID = f"third-party/{EXTENSION_FOLDER}"
CHARACTER = "Seraphina"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = args.quick
        self.llm = StandInLLM().start()
        self.images = StandInImageServer().start()
        self.st = SillyTavern(Backends(self.llm.url, self.images.url), extensions={EXTENSION_FOLDER: REPO_ROOT})
        self.s = Samples()
        self.context: BrowserContext | None = None
        self.page: Page | None = None
        self.offset = 0.0  # page seconds = monotonic seconds + offset
        self.long_count = 0
        self.sizes = [int(x) for x in str(args.sizes or ("60,200" if args.quick else "60,200,1000")).split(",")]
        self.avatar = ""
        self.png = draw_prompt_png("bench long chat picture")

    # -- page and clocks ---------------------------------------------------------------
    def open_page(self, chromium: Browser, on: bool) -> Page:
        if self.context is not None:
            self.context.close()
            self.context = None
            time.sleep(1.0)  # a settings save in flight lands before the patch below

        def patch(settings: dict[str, Any]) -> None:
            ext = settings.setdefault("extension_settings", {})
            disabled = [x for x in ext.get("disabledExtensions", []) if x != EXTENSION_ID]
            ext["disabledExtensions"] = disabled if on else [*disabled, EXTENSION_ID]
            settings.setdefault("oai_settings", {})["stream_openai"] = True

        for attempt in range(3):
            self.st.patch_settings(patch)
            self.context = chromium.new_context(viewport={"width": 1280, "height": 900})
            page = self.context.new_page()
            page.set_default_timeout(60_000)
            stpage.open_app(page, self.st.url)
            loaded = bool(page.evaluate("() => globalThis.inlineImages?.loaded === true"))
            if loaded == on:
                break
            self.context.close()
            time.sleep(1.0)
        else:
            raise RuntimeError(f"could not get the extension {'on' if on else 'off'}")
        stpage.open_character(page, CHARACTER)
        self.avatar = str(page.evaluate("(n) => SillyTavern.getContext().characters.find(c => c.name === n).avatar", CHARACTER))
        page.evaluate(INSTRUMENT_JS)
        page.wait_for_function("() => SillyTavern.getContext().SlashCommandParser.commands.sd?.__bench === true")
        self.page = page
        self.calibrate()
        return page

    def calibrate(self) -> None:
        assert self.page is not None
        best = (float("inf"), 0.0)
        for _ in range(30):
            a = time.monotonic()
            v = float(self.page.evaluate("() => performance.now()")) / 1000
            b = time.monotonic()
            if b - a < best[0]:
                best = (b - a, v - (a + b) / 2)
        self.offset = best[1]
        self.s.rtt.append(best[0])

    def py(self, page_ms: float) -> float:
        """A page performance.now() stamp (ms) on the stand-ins' monotonic clock (s)."""
        return page_ms / 1000 - self.offset

    def send(self, text: str) -> None:
        """Send as the user does (SillyTavern can ignore a click right after a reply ends: click
        again, as a user would); the page stamps the click that was taken."""
        page = self.page
        assert page is not None
        for _ in range(10):
            page.evaluate(SEND_JS, text)
            try:
                page.wait_for_function("() => document.querySelector('#send_textarea').value === ''", timeout=2_000,
                                       polling=20)
                return
            except Exception:  # noqa: BLE001 - playwright's TimeoutError; retried
                continue
        raise RuntimeError("SillyTavern did not take the message")

    # -- one streamed story --------------------------------------------------------------
    def play_story(self, on: bool, where: str) -> None:
        page, llm, images = self.page, self.llm, self.images
        assert page is not None
        n_chunks = -(-len(STORY) // CHUNK_CHARS)
        llm.settings.chunk_chars = CHUNK_CHARS
        llm.settings.chunk_delay = STORY_WORDS / WORDS_PER_S / n_chunks
        images.behaviour.latency = IMAGE_LATENCY
        page.evaluate(RESET_JS)
        before_req = len(llm.generation_requests())
        before_img = len(images.requests)
        before_len = stpage.last_index(page) + 1
        llm.queue(STORY)
        self.send("Go on.")
        req = llm.wait_for_requests(before_req + 1, timeout=60)[before_req]
        reply_id = before_len + 1  # the user's message, then the reply
        page.wait_for_function("(id) => window.__bench.mr.some(r => r.id === id && r.end > 0)", arg=reply_id,
                               timeout=120_000, polling=100)
        if on:
            try:
                page.wait_for_function("(n) => Object.keys(window.__bench.shown).filter(k => k.startsWith(n + '|')).length >= 4",
                                       arg=reply_id, timeout=30_000, polling=100)
            except Exception:  # noqa: BLE001 - playwright's TimeoutError: counted below
                pass
            page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=100)
        stpage.wait_idle(page)
        bench = page.evaluate("() => window.__bench")
        key = f"{'on' if on else 'off'}-{where}"
        mr = next(r for r in bench["mr"] if r["id"] == reply_id)
        assert req.ended is not None
        self.s.add("reply_delay", key, self.py(mr["end"]) - req.ended)
        self.s.add("mr_emit", key, (mr["end"] - mr["start"]) / 1000)
        self.s.add("mr_ours", key, mr["ours"] / 1000)
        self.s.add("prompt_ours", key, bench["promptOurs"] / 1000)
        self.s.add("saves", key, float(bench["saves"]))
        self.s.add("save_kb", key, bench["saveBytes"] / 1000)
        self.s.add("hook_chunk", key, bench["hookMs"] / 1000 / max(1, len(req.chunk_times)))
        self.s.add("prompt_build", key, req.at - self.py(bench["sendAt"]))
        # SillyTavern saves the chat with the new user message and waits for the answer before it builds the prompt.
        sent_at, left_at = bench["sendAt"], (req.at + self.offset) * 1000
        self.s.add("send_save", key, sum(min(e or left_at, left_at) - max(b, sent_at) for b, e in bench["saveTimes"]
                                         if b < left_at and (e or left_at) > sent_at) / 1000)
        self.s.add("send_counts", key, float(sum(1 for t in bench["counts"] if bench["sendAt"] <= t <= (req.at + self.offset) * 1000)))
        self.s.add("per_chunk", key, (bench["tokenMs"] + bench["renderMs"]) / 1000 / max(1, len(req.chunk_times)))
        if not on:
            return
        img_reqs = images.requests[before_img:]
        text = req.sent
        for prompt in STORY_PROMPTS:
            close = text.index(f'<img-prompt="{prompt}">') + len(f'<img-prompt="{prompt}">') - 1
            chunk_at = next(t for t, length in req.chunk_times if length > close)
            ir = next((r for r in img_reqs if prompt in r.prompt), None)
            if ir is None:
                self.s.missing_pictures += 1
                continue
            self.s.detect.append(ir.started - chunk_at)
            token = next((t for t, length in bench["tokens"] if length > close), None)
            call = next((r for r in bench["sd"] if prompt in r["prompt"]), None)
            if token is not None:
                self.s.delivery.append(self.py(token) - chunk_at)
            if token is not None and call is not None:
                self.s.noticed.append((call["called"] - token) / 1000)
            if call is not None:
                self.s.call_to_request.append(ir.started - self.py(call["called"]))
            shown = bench["shown"].get(f"{reply_id}|{prompt}")
            if shown is None or ir.answered is None:
                self.s.missing_pictures += 1
                continue
            self.s.visible.append(self.py(shown) - ir.answered)
            if call is not None and call["returned"]:
                self.s.answered_to_return.append(self.py(call["returned"]) - ir.answered)
                self.s.return_to_dom.append((shown - call["returned"]) / 1000)

    def sd_floor(self, count: int, tag: str) -> None:
        page, images = self.page, self.images
        assert page is not None
        images.behaviour.latency = IMAGE_LATENCY
        # The first /sd after a page load is cold (up to seconds here): one call unrecorded.
        page.evaluate("() => SillyTavern.getContext().executeSlashCommandsWithOptions('/sd quiet=true a warm-up sketch')")
        for k in range(count):
            prompt = f"a lighthouse on a cliff at night, floor sample {tag}-{k}"
            before = len(images.requests)
            t0 = page.evaluate("""async (p) => {
              const t0 = performance.now();
              await SillyTavern.getContext().executeSlashCommandsWithOptions(`/sd quiet=true ${p}`);
              return t0;
            }""", prompt)
            ir = next(r for r in images.requests[before:] if prompt in r.prompt)
            self.s.floor.append(ir.started - self.py(t0))

    # -- the long chat ------------------------------------------------------------------------
    def write_long_chat(self, messages: int) -> str:
        self.long_count += 1
        name = f"bench long chat {self.long_count}"
        write_illustrated_chat(self.st, self.avatar, CHARACTER, name, messages, 2, self.png, files="bench_long")
        return name

    def open_long_chat(self, on: bool, messages: int) -> None:
        page = self.page
        assert page is not None
        name = self.write_long_chat(messages)
        page.evaluate(RESET_JS)
        seconds, ours = page.evaluate("""async (name) => {
          const t0 = performance.now();
          await SillyTavern.getContext().openCharacterChat(name);
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          const B = window.__bench;
          return [(performance.now() - t0) / 1000, (B.hookMs + B.cc.reduce((n, r) => n + r.ours, 0)) / 1000];
        }""", name)
        self.s.add("open_long", f"{'on' if on else 'off'}-{messages}", float(seconds))
        self.s.add("open_ours", f"{'on' if on else 'off'}-{messages}", float(ours))
        shown = page.evaluate("() => [SillyTavern.getContext().chat.length, document.querySelectorAll('#chat .mes').length]")
        if shown[0] < 2 * messages:
            raise RuntimeError(f"the long chat did not open: {shown[0]} messages")
        self.s.rendered_long = int(shown[1])
        time.sleep(1.0)  # SillyTavern's token count dry run after a chat opens
        stpage.wait_idle(page)
        if on:
            page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=100)

    def open_gallery(self) -> None:
        """The gallery of the open chat: lazy thumbnails, so only the first rows are fetched. After
        the story is played, so that its fetches and its clean-up weigh on no figure of the
        extension on that the extension off has no counterpart of."""
        page = self.page
        assert page is not None
        seconds, loaded, total = page.evaluate("""async () => {
          const t0 = performance.now();
          await SillyTavern.getContext().executeSlashCommandsWithOptions('/iig-gallery');
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          const elapsed = (performance.now() - t0) / 1000;
          await new Promise((r) => setTimeout(r, 500));
          const thumbs = [...document.querySelectorAll('dialog.iig-gallery img')];
          const loaded = thumbs.filter((i) => i.complete && i.naturalWidth > 0).length;
          document.querySelector('dialog.iig-gallery')?.close();
          return [elapsed, loaded, thumbs.length];
        }""")
        self.s.gallery_open.append(float(seconds))
        self.s.gallery_loaded.append(float(loaded))
        self.s.gallery_total = int(total)

    # -- phases ---------------------------------------------------------------------------
    def phase(self, chromium: Browser, on: bool, run: int) -> None:
        t = time.monotonic()
        self.open_page(chromium, on)
        self.sd_floor(1 if self.quick else 2, f"{run}{'on' if on else 'off'}")
        page = self.page
        assert page is not None
        # The first generation after a page load is cold: one short reply unrecorded.
        stpage.new_chat(page)
        self.llm.settings.chunk_delay = 0.005
        self.llm.queue('A warm-up reply. <img-prompt="a warm-up sketch of a tent">')
        before = stpage.last_index(page) + 1
        self.send("Warm up.")
        page.wait_for_function("(n) => SillyTavern.getContext().chat.length >= n + 2", arg=before, timeout=30_000)
        stpage.wait_idle(page)
        if on:
            page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=100)
        stpage.new_chat(page)
        self.play_story(on, "new")
        for size in self.sizes:
            self.open_long_chat(on, size)
            self.play_story(on, f"long{size}")
            if on and size == max(self.sizes):
                self.open_gallery()
        print(f"[bench] run {run + 1} {'on ' if on else 'off'} done in {time.monotonic() - t:.0f} s", flush=True)

    def memory(self, chromium: Browser, on: bool, replies: int, every: int) -> list[dict[str, Any]]:
        page = self.open_page(chromium, on)
        cdp = page.context.new_cdp_session(page)
        self.llm.settings.chunk_chars = 16
        self.llm.settings.chunk_delay = 0.005
        self.images.behaviour.latency = 0.05
        points: list[dict[str, Any]] = []

        def checkpoint(done: int) -> None:
            stpage.new_chat(page)
            time.sleep(0.5)
            stpage.wait_idle(page)
            if on:
                page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=100)
            for _ in range(2):
                cdp.send("HeapProfiler.collectGarbage")
            heap = cdp.send("Runtime.getHeapUsage")
            state = page.evaluate(DEBUG_JS)
            points.append({"replies": done, "heap_mb": heap["usedSize"] / 1e6, **state})

        checkpoint(0)
        for i in range(replies):
            before = stpage.last_index(page) + 1
            a, b = f"a red lantern number {i}", f"a blue kite number {i}"
            self.llm.queue(f'Short reply {i}. The night was calm. <img-prompt="{a}"> The wind rose. '
                           f'<img-prompt="{b}"> The end of reply {i}.')
            self.send(f"Reply {i}, please.")
            page.wait_for_function("(n) => SillyTavern.getContext().chat.length >= n + 2", arg=before, timeout=30_000,
                                   polling=50)
            stpage.wait_idle(page)
            if on:
                page.wait_for_function("(id) => Object.keys(window.__bench.shown).filter(k => k.startsWith(id + '|')).length >= 2",
                                       arg=before + 1, timeout=30_000, polling=50)
                page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=50)
            if (i + 1) % every == 0:
                checkpoint(i + 1)
        cdp.detach()
        return points

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> int:
        started = time.monotonic()
        runs = self.args.runs if self.args.runs is not None else (1 if self.quick else 4)
        replies = 10 if self.quick else 100
        every = 5 if self.quick else 10
        try:
            self.st.start()
            print(f"[bench] SillyTavern {self.st.version} up in {time.monotonic() - started:.0f} s; "
                  f"{runs} run(s) on/off, memory over {replies} replies", flush=True)
            with sync_playwright() as p:
                chromium = tb_browser.launch(p)
                for run in range(runs):
                    order = (True, False) if run % 2 == 0 else (False, True)
                    for on in order:
                        self.phase(chromium, on, run)
                t = time.monotonic()
                mem_on = self.memory(chromium, True, replies, every)
                mem_off = self.memory(chromium, False, replies, every)
                print(f"[bench] memory done in {time.monotonic() - t:.0f} s", flush=True)
                self.close(chromium)
        finally:
            self.stop()
        report(self.s, self.sizes, runs, self.quick, self.st.version, mem_on, mem_off, time.monotonic() - started)
        return 0

    def close(self, chromium: Browser) -> None:
        if self.context is not None:
            self.context.close()
        chromium.close()

    def stop(self) -> None:
        """SillyTavern and the stand-ins, stopped whatever happened."""
        self.st.stop()
        self.images.stop()
        self.llm.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="phases with the extension on, and as many off (default 4, quick 1)")
    parser.add_argument("--quick", action="store_true", help="small counts, about 3 minutes, for checking the bench")
    parser.add_argument("--sizes", default=None, help="illustrated messages of the long chats (default 60,200,1000; quick 60,200)")
    args = parser.parse_args(argv)
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
