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
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from . import browser as tb_browser
from . import stpage
from .images import StandInImageServer
from .llm import StandInLLM
from .chats import write_illustrated_chat
from .png import draw_prompt_png
from .sillytavern import EXTENSION_FOLDER, REPO_ROOT, Backends, SillyTavern

EXTENSION_ID = f"third-party/{EXTENSION_FOLDER}"
CHARACTER = "Seraphina"
WORDS_PER_S = 60.0
CHUNK_CHARS = 8
IMAGE_LATENCY = 0.8

# -- the fixed story ------------------------------------------------------------------
_SUBJECTS = ["The caravan", "Amira", "The old guide", "A lone hawk", "The wind", "Her brother", "The camels",
             "A stranger in grey", "The well keeper", "The children", "The moon", "A drummer"]
_VERBS = ["crossed", "watched", "followed", "circled", "reached", "remembered", "carried", "shadowed",
          "greeted", "traced", "warmed", "climbed"]
_OBJECTS = ["the long copper dunes", "the dry bed of the river", "the ruined tower at the edge of the oasis",
            "a line of palms bending in the heat", "the last light over the salt flats", "the fires of the camp",
            "the narrow pass between two red cliffs", "a map drawn on goatskin", "the stars above the well",
            "the quiet market of the border town", "an old song about the sea", "the tracks of a fox in the sand"]
_TAILS = ["before the heat returned", "without a word", "as the drums began", "while the others slept",
          "with slow and careful steps", "until the shadows grew long", "as if it had always been there",
          "and nobody asked why"]
STORY_PROMPTS = ["a desert caravan at dusk crossing copper dunes",
                 "a young woman standing on a ruined tower above an oasis",
                 "campfires under a starry desert sky with drummers",
                 "a border town market at dawn with spice stalls"]


def _sentences(rng: random.Random, words: int) -> str:
    out: list[str] = []
    count = 0
    while count < words:
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
        out.append(s)
        count += len(s.split())
    return " ".join(out)


def story_text(words: int = 600, prompts: list[str] = STORY_PROMPTS, seed: int = 12) -> str:
    """About `words` words in len(prompts) + 1 paragraphs, one tag ending each but the last."""
    rng = random.Random(seed)
    per = words // (len(prompts) + 1)
    parts = []
    for prompt in prompts:
        parts.append(f'{_sentences(rng, per)} <img-prompt="{prompt}">')
    parts.append(_sentences(rng, per))
    return "\n\n".join(parts)


STORY = story_text(560)
STORY_WORDS = len(STORY.split())

# -- page instrumentation ----------------------------------------------------------------
INSTRUMENT_JS = """() => {
  if (window.__bench) return;
  const c = SillyTavern.getContext();
  const E = c.eventTypes;
  const B = window.__bench = { tokens: [], tokenMs: 0, renderMs: 0, renders: 0, hookMs: 0, promptOurs: 0, saves: 0, saveBytes: 0, mr: [], cc: [], sd: [], shown: {} };
  const es = c.eventSource;
  const emit = es.emit;
  let patched = false;
  es.emit = async function (event, ...args) {
    if (event === E.STREAM_TOKEN_RECEIVED) {
      const sp = SillyTavern.getContext().streamingProcessor;
      if (!patched && sp) {
        patched = true;
        const proto = Object.getPrototypeOf(sp);
        const progress = proto.onProgressStreaming;
        proto.onProgressStreaming = async function (...a) {
          const t0 = performance.now();
          try { return await progress.apply(this, a); }
          finally { B.renderMs += performance.now() - t0; B.renders++; }
        };
      }
      const t0 = performance.now();
      try { return await emit.call(this, event, ...args); }
      finally { const t1 = performance.now(); B.tokenMs += t1 - t0; B.tokens.push([t0, String(args[0] ?? '').length]); }
    }
    if (event === E.MESSAGE_RECEIVED || event === E.CHAT_CHANGED || event === E.CHAT_COMPLETION_PROMPT_READY) {
      // Each listener timed on its own (the extension's is told by its source), through
      // wrapped copies put in place for this emit only.
      const rec = { event, id: args[0], type: args[1], start: performance.now(), end: 0, ours: 0 };
      if (event === E.MESSAGE_RECEIVED) B.mr.push(rec); else if (event === E.CHAT_CHANGED) B.cc.push(rec);
      const originals = Array.isArray(this.events[event]) ? this.events[event].slice() : [];
      const wrapped = new Set();
      this.events[event] = originals.map((fn) => {
        const mine = /replies\.onMessageReceived|markChatLoaded\(\)|pruneChatCompletion\(/.test(String(fn));
        const w = async function (...a) {
          const t0 = performance.now();
          try { return await fn.apply(this, a); } finally {
            if (mine) { rec.ours += performance.now() - t0; if (event === E.CHAT_COMPLETION_PROMPT_READY) B.promptOurs += performance.now() - t0; }
          }
        };
        wrapped.add(w);
        return w;
      });
      try { return await emit.call(this, event, ...args); } finally {
        rec.end = performance.now();
        const added = (this.events[event] ?? []).filter((f) => !wrapped.has(f));
        this.events[event] = [...originals, ...added];
      }
    }
    return emit.call(this, event, ...args);
  };
  const ic = globalThis.inlineImagesInterceptor;
  if (typeof ic === 'function') {
    globalThis.inlineImagesInterceptor = async function (...a) {
      const t0 = performance.now();
      try { return await ic.apply(this, a); } finally { B.promptOurs += performance.now() - t0; }
    };
  }
  const fetch0 = window.fetch;
  window.fetch = function (url, init) {
    if (String(url).includes('/api/chats/save')) { B.saves++; B.saveBytes += String(init?.body ?? '').length; }
    return fetch0.apply(this, arguments);
  };
  const mf = c.messageFormatter;
  if (mf?.runStage) {
    const runStage = mf.runStage;
    mf.runStage = function (...a) {
      const t0 = performance.now();
      try { return runStage.apply(this, a); } finally { B.hookMs += performance.now() - t0; }
    };
  }
  const wrapSd = () => {
    const cmd = SillyTavern.getContext().SlashCommandParser?.commands?.sd;
    if (!cmd || cmd.__bench) return Boolean(cmd);
    const callback = cmd.callback;
    cmd.callback = async function (args, prompt) {
      const rec = { prompt: String(prompt), called: performance.now(), returned: 0 };
      B.sd.push(rec);
      try { return await callback.call(this, args, prompt); } finally { rec.returned = performance.now(); }
    };
    cmd.__bench = true;
    return true;
  };
  if (!wrapSd()) { const t = setInterval(() => { if (wrapSd()) clearInterval(t); }, 50); }
  const seen = (img) => {
    const mes = img.closest('.mes');
    if (!mes) return;
    const key = `${mes.getAttribute('mesid')}|${img.getAttribute('alt')}`;
    if (!(key in B.shown)) B.shown[key] = performance.now();
  };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType !== 1) continue;
      if (n.matches('img[data-iig]')) seen(n);
      for (const img of n.querySelectorAll('img[data-iig]')) seen(img);
    }
  }).observe(document.querySelector('#chat'), { childList: true, subtree: true });
}"""

RESET_JS = "() => { const B = window.__bench; B.tokens = []; B.tokenMs = 0; B.renderMs = 0; B.renders = 0; B.hookMs = 0; B.promptOurs = 0; B.saves = 0; B.saveBytes = 0; B.mr = []; B.cc = []; B.sd = []; B.shown = {}; }"

SEND_JS = """(text) => {
  const box = document.querySelector('#send_textarea');
  box.value = text; box.dispatchEvent(new Event('input', { bubbles: true }));
  window.__bench.sendAt = performance.now();
  document.querySelector('#send_but').click();
  return window.__bench.sendAt;
}"""

DEBUG_JS = """() => {
  const c = SillyTavern.getContext();
  const listeners = Object.values(c.eventSource.events).reduce((n, a) => n + (Array.isArray(a) ? a.length : 0), 0);
  const g = globalThis.inlineImages;
  if (!g) return { listeners, jobs: null };
  const byStatus = {};
  for (const j of g.jobs.jobs) byStatus[j.status] = (byStatus[j.status] ?? 0) + 1;
  return { listeners, jobs: g.jobs.jobs.size, byStatus, paths: g.jobs.files.paths.size, streams: g.streams.streams.size,
           kept: g.kept?.records?.length ?? null, saverWaiting: g.saver?.waiting?.size ?? null,
           writerRunning: g.promptWriter?.running?.size ?? null, writerWaiting: g.promptWriter?.waiting?.size ?? null,
           manualBusy: g.manual?.busy?.size ?? null };
}"""


# -- results ------------------------------------------------------------------------------
@dataclass
class Samples:
    floor: list[float] = field(default_factory=list)
    detect: list[float] = field(default_factory=list)
    delivery: list[float] = field(default_factory=list)  # LLM chunk -> token event in the page
    noticed: list[float] = field(default_factory=list)  # token event -> /sd callback called
    call_to_request: list[float] = field(default_factory=list)  # /sd callback -> image request
    visible: list[float] = field(default_factory=list)
    answered_to_return: list[float] = field(default_factory=list)  # image answered -> /sd returned in page
    return_to_dom: list[float] = field(default_factory=list)  # /sd returned -> <img> in the DOM
    missing_pictures: int = 0
    # per mode ('on'/'off') and chat ('new'/'long')
    reply_delay: dict[str, list[float]] = field(default_factory=dict)
    mr_emit: dict[str, list[float]] = field(default_factory=dict)
    mr_ours: dict[str, list[float]] = field(default_factory=dict)  # the extension's MESSAGE_RECEIVED listener
    prompt_ours: dict[str, list[float]] = field(default_factory=dict)  # our interceptor + prompt-ready listener
    saves: dict[str, list[float]] = field(default_factory=dict)  # /api/chats/save sent by the page per reply
    save_kb: dict[str, list[float]] = field(default_factory=dict)
    hook_chunk: dict[str, list[float]] = field(default_factory=dict)  # formatter hooks (ours) per chunk
    open_ours: dict[str, list[float]] = field(default_factory=dict)  # ours in CHAT_CHANGED + formatter hooks
    prompt_build: dict[str, list[float]] = field(default_factory=dict)
    per_chunk: dict[str, list[float]] = field(default_factory=dict)
    open_long: dict[str, list[float]] = field(default_factory=dict)
    rtt: list[float] = field(default_factory=list)
    rendered_long: int = 0
    gallery_open: list[float] = field(default_factory=list)  # /iig-gallery on the long chat, to the next frame
    gallery_loaded: list[float] = field(default_factory=list)  # thumbnails fetched at that moment
    gallery_total: int = 0

    def add(self, name: str, key: str, value: float) -> None:
        getattr(self, name).setdefault(key, []).append(value)


def spread(points: list[dict[str, Any]], key: str) -> float:
    values = [float(p[key]) for p in points]
    return max(values) - min(values)


def p50(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


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
                if self.context is not None:
                    self.context.close()
                chromium.close()
        finally:
            self.st.stop()
            self.images.stop()
            self.llm.stop()
        self.report(runs, mem_on, mem_off, time.monotonic() - started)
        return 0

    # -- the table -----------------------------------------------------------------------
    def report(self, runs: int, mem_on: list[dict[str, Any]], mem_off: list[dict[str, Any]], elapsed: float) -> None:
        s = self.s
        rows: list[tuple[str, str, str, str]] = []

        def ms(x: float) -> str:
            return f"{x * 1000:.1f} ms"

        def verdict(ok: bool | None) -> str:
            return "" if ok is None else ("ok" if ok else "MISSES")

        def ratio(a: list[float], b: list[float]) -> float:
            return p50(a) / p50(b) if a and b and p50(b) else float("nan")

        floor = p50(s.floor)
        rows.append(("/sd floor p50", f"{ms(floor)} (n={len(s.floor)})", "reference for detect", ""))
        rows.append(("detect p50 / max", f"{ms(p50(s.detect))} / {ms(max(s.detect, default=float('nan')))} (n={len(s.detect)})",
                     f"<= floor + 15 = {ms(floor + 0.015)}",
                     "ok" if max(s.detect, default=1e9) <= floor + 0.015 else
                     ("p50 ok, max MISSES" if p50(s.detect) <= floor + 0.015 else "MISSES")))
        rows.append(("  LLM chunk -> token event", f"{ms(p50(s.delivery))} / max {ms(max(s.delivery, default=float('nan')))}",
                     "(SillyTavern: proxy + stream)", ""))
        rows.append(("  token event -> /sd call", f"{ms(p50(s.noticed))} / max {ms(max(s.noticed, default=float('nan')))}",
                     "(the extension)", ""))
        rows.append(("  /sd call -> image request", f"{ms(p50(s.call_to_request))} / max {ms(max(s.call_to_request, default=float('nan')))}",
                     "(floor, page streaming)", ""))
        rows.append(("visible p50", f"{ms(p50(s.visible))} / max {ms(max(s.visible, default=float('nan')))} (n={len(s.visible)})",
                     "<= 50 ms", verdict(p50(s.visible) <= 0.050)))
        rows.append(("  image answered -> /sd returns", f"{ms(p50(s.answered_to_return))} / max {ms(max(s.answered_to_return, default=float('nan')))}",
                     "(SillyTavern: save + reply)", ""))
        rows.append(("  /sd returns -> <img> in DOM", f"{ms(p50(s.return_to_dom))} / max {ms(max(s.return_to_dom, default=float('nan')))}",
                     "(the extension + render)", ""))
        if s.missing_pictures:
            rows.append(("  pictures not seen", str(s.missing_pictures), "0", verdict(False)))
        chats = [("new", "new chat")] + [(f"long{n}", f"end of a {n}-message chat") for n in self.sizes]
        for where, label in chats:
            on, off = s.reply_delay.get(f"on-{where}", []), s.reply_delay.get(f"off-{where}", [])
            r = ratio(on, off)
            rows.append((f"reply delay, {label}", f"on {ms(p50(on))} / off {ms(p50(off))} = {r:.2f}", "<= 1.05",
                         verdict(r <= 1.05)))
            on, off = s.mr_emit.get(f"on-{where}", []), s.mr_emit.get(f"off-{where}", [])
            rows.append(("  MESSAGE_RECEIVED emit", f"on {ms(p50(on))} / off {ms(p50(off))}", "(listeners only)", ""))
            rows.append(("    of which our listener", f"{ms(p50(s.mr_ours.get(f'on-{where}', [])))}", "(the extension)", ""))
            sv_on, sv_off = s.saves.get(f"on-{where}", []), s.saves.get(f"off-{where}", [])
            kb_on, kb_off = s.save_kb.get(f"on-{where}", []), s.save_kb.get(f"off-{where}", [])
            rows.append(("  chat saves per reply", f"on {p50(sv_on):.0f} ({p50(kb_on):.0f} kB) / off {p50(sv_off):.0f} ({p50(kb_off):.0f} kB)",
                         "(page -> /api/chats/save)", ""))
        for n in self.sizes:
            on, off = s.open_long.get(f"on-{n}", []), s.open_long.get(f"off-{n}", [])
            r = ratio(on, off)
            rows.append((f"open a {n}-message chat", f"on {ms(p50(on))} / off {ms(p50(off))} = {r:.2f}", "<= 1.05",
                         verdict(r <= 1.05)))
            rows.append(("  of which ours (CHAT_CHANGED + hook)", f"{ms(p50(s.open_ours.get(f'on-{n}', [])))}", "(the extension)", ""))
        if s.gallery_open:
            rows.append((f"gallery of the longest chat ({s.gallery_total} pictures)",
                         f"open {ms(p50(s.gallery_open))}; {p50(s.gallery_loaded):.0f} thumbnails fetched 0.5 s later",
                         "only what is on screen", verdict(p50(s.gallery_loaded) < 60)))
        for where, label in [(f"long{n}", f"a {n}-message chat") for n in self.sizes] + [("new", "new chat")]:
            on, off = s.prompt_build.get(f"on-{where}", []), s.prompt_build.get(f"off-{where}", [])
            r = ratio(on, off)
            rows.append((f"next prompt, {label}", f"on {ms(p50(on))} / off {ms(p50(off))} = {r:.2f}", "<= 1.05",
                         verdict(r <= 1.05)))
            rows.append(("  of which ours (interceptor + listener)", f"{ms(p50(s.prompt_ours.get(f'on-{where}', [])))}", "(the extension)", ""))
        pc = {k: p50(v) for k, v in s.per_chunk.items()}

        def us(x: float) -> str:
            return f"{x * 1e6:.0f} µs"

        longest = f"long{max(self.sizes)}"
        r_long = pc.get(f"on-{longest}", float("nan")) / pc.get(f"off-{longest}", float("nan"))
        r_new = pc.get("on-new", float("nan")) / pc.get("off-new", float("nan"))
        rows.append((f"display/chunk, end of a {max(self.sizes)}-message chat", f"on {us(pc.get(f'on-{longest}', float('nan')))} / off {us(pc.get(f'off-{longest}', float('nan')))} = {r_long:.2f}",
                     "<= 1.10", verdict(r_long <= 1.10)))
        rows.append(("display/chunk, new chat", f"on {us(pc.get('on-new', float('nan')))} / off {us(pc.get('off-new', float('nan')))} = {r_new:.2f}",
                     "<= 1.10", verdict(r_new <= 1.10)))
        hk = {k: p50(v) for k, v in s.hook_chunk.items()}
        rows.append(("  of which our display hook", f"end of longest {us(hk.get(f'on-{longest}', float('nan')))} / new {us(hk.get('on-new', float('nan')))}",
                     "(the extension)", ""))
        e_on = pc.get(f"on-{longest}", float("nan")) / pc.get("on-new", float("nan"))
        e_off = pc.get(f"off-{longest}", float("nan")) / pc.get("off-new", float("nan"))
        rows.append(("display/chunk end/new", f"on {e_on:.2f} / off {e_off:.2f}", "flat: on <= off x 1.10",
                     verdict(e_on <= e_off * 1.10)))
        first_on, last_on = mem_on[0], mem_on[-1]
        first_off, last_off = mem_off[0], mem_off[-1]
        n = last_on["replies"]
        rows.append((f"memory: jobs held 0 -> {n}", f"{first_on['jobs']} -> {last_on['jobs']} {last_on.get('byStatus') or ''}",
                     "no growth", verdict(last_on["jobs"] <= first_on["jobs"])))
        rows.append((f"memory: kept pictures 0 -> {n}", f"{first_on['kept']} -> {last_on['kept']}", "bounded", ""))
        rows.append((f"memory: recent paths 0 -> {n}", f"{first_on['paths']} -> {last_on['paths']}", "bounded (60 s, at most 200)", ""))
        rows.append((f"memory: listeners 0 -> {n}", f"on {first_on['listeners']} -> {last_on['listeners']} / "
                     f"off {first_off['listeners']} -> {last_off['listeners']}", "no growth",
                     # SillyTavern's own count moves by a few (transient once-listeners): growth is the spread
                     # of on's checkpoints beyond off's spread.
                     verdict(spread(mem_on, "listeners") <= spread(mem_off, "listeners"))))
        d_on = last_on["heap_mb"] - first_on["heap_mb"]
        d_off = last_off["heap_mb"] - first_off["heap_mb"]
        # The first checkpoint after 0 includes warm-up (lazily loaded code, JIT, caches): the
        # growth that would keep going is from there to the end.
        w_on = last_on["heap_mb"] - mem_on[min(1, len(mem_on) - 1)]["heap_mb"]
        w_off = last_off["heap_mb"] - mem_off[min(1, len(mem_off) - 1)]["heap_mb"]
        rows.append((f"memory: JS heap 0 -> {n}", f"on {first_on['heap_mb']:.1f} -> {last_on['heap_mb']:.1f} MB ({d_on:+.1f}) / "
                     f"off {first_off['heap_mb']:.1f} -> {last_off['heap_mb']:.1f} MB ({d_off:+.1f})",
                     "no growth beyond off's", ""))
        rows.append((f"memory: JS heap {mem_on[min(1, len(mem_on) - 1)]['replies']} -> {n} (after warm-up)",
                     f"on {w_on:+.1f} MB / off {w_off:+.1f} MB", "on <= off + 0.5 MB", verdict(w_on <= w_off + 0.5)))

        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor() or "unknown")
        print()
        print(f"Inline Images benchmark: SillyTavern {self.st.version}, {runs} run(s) on + {runs} off interleaved"
              f"{' (quick)' if self.quick else ''}")
        print(f"machine: {os.cpu_count()} cores, {cpu}; load average {os.getloadavg()[0]:.2f} at the end")
        print(f"story: {STORY_WORDS} words, {len(STORY)} chars in {CHUNK_CHARS}-char chunks at {WORDS_PER_S:.0f} words/s, "
              f"{len(STORY_PROMPTS)} tags, image latency {IMAGE_LATENCY * 1000:.0f} ms; long chats of {', '.join(map(str, self.sizes))} illustrated "
              f"messages x 2 pictures; clock offset known to +-{max(s.rtt) * 500:.1f} ms (worst page load)")
        w = [max(len(r[i]) for r in rows + [("figure", "measured", "target", "")]) for i in range(4)]

        def line(r: tuple[str, str, str, str]) -> str:
            return f"| {r[0]:<{w[0]}} | {r[1]:<{w[1]}} | {r[2]:<{w[2]}} | {r[3]:<{w[3]}} |"

        print(line(("figure", "measured", "target", "")))
        print(f"|{'-' * (w[0] + 2)}|{'-' * (w[1] + 2)}|{'-' * (w[2] + 2)}|{'-' * (w[3] + 2)}|")
        for row in rows:
            print(line(row))
        print("memory checkpoints (after /newchat, GC'd):")
        for label, points in (("on ", mem_on), ("off", mem_off)):
            print(f"  {label}: " + ", ".join(f"{p['replies']}: {p['heap_mb']:.1f} MB/{p['listeners']} listeners"
                                              + (f"/{p['jobs']} jobs" if p.get("jobs") is not None else "") for p in points))
        raw = {k: [round(x * 1000, 1) for x in v] for k, v in (
            ("floor", s.floor), ("detect", s.detect), ("visible", s.visible))}
        print("raw (ms): " + "; ".join(f"{k} {v}" for k, v in raw.items()))
        print(f"run time {elapsed / 60:.1f} min. Noisy machine: figures vary between runs; compare ratios, rerun.")


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
