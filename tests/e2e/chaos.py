"""Machinery of the chaos test: seeded texts, a model of what every chat should hold, the
user's actions in SillyTavern's real UI, and the invariants checked against the saved files.

The model is predicted from the actions (what the test typed or edited, what the stand-in
LLM sent), never copied from the page, except in two places that are checked first: the
partial text of a stopped reply (it must be a prefix of what was sent), and after a problem
was recorded (so one bug is reported once, not again at every later step).

Timing follows a quick person, not a script: an ordinary chat switch waits (at most 1.5 s)
until SillyTavern has saved what the page shows, because SillyTavern itself loses a change
when the chat is switched within its own save window; `send-and-leave` is the one action that
switches inside it on purpose (CHAOS_LEAVE_MS).
"""
from __future__ import annotations

import difflib
import html
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from PIL import Image
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from testbed import stpage
from testbed.gate import Gate
from testbed.images import StandInImageServer
from testbed.llm import LLMRequest, Reply, StandInLLM
from testbed.png import prompt_colour
from testbed.sillytavern import EXTENSION_FOLDER, SillyTavern

from .helpers import IMG_OF_OURS

TAG = re.compile(r'<img-prompt="([^"]*)">')
TOKEN = re.compile(TAG.pattern + "|" + IMG_OF_OURS.pattern)

# -- texts ------------------------------------------------------------------------------

WORDS = ("the lantern swung over the dark water while old boats creaked against the pier and "
         "a cold wind carried salt and smoke from the harbour where fishermen mended nets under "
         "grey clouds and gulls circled the lighthouse above the rocks as the tide turned slowly "
         "toward the village with its narrow lanes and shuttered windows").split()
SUBJECTS = ["a lantern on a pier", "a fox in the snow", "a lighthouse in a storm", "a market at dusk",
            "an owl on a fence", "a ship in the fog", "a bridge over a river", "a cabin in the pines",
            "a tower under stars", "a garden after rain", "a train in the hills", "a well in a courtyard",
            "a horse on a beach", "a bell tower at noon", "a boat on a frozen lake", "a kite over dunes"]


class Writer:
    """Every text of the run, drawn from the run's one RNG. Prompts are unique in the run
    (`chaos 17 a lantern on a pier`), so a picture's title names its one tag."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.prompts = 0
        self.lines = 0

    def prompt(self) -> str:
        self.prompts += 1
        return f"chaos {self.prompts} {self.rng.choice(SUBJECTS)}"

    def sentence(self, low: int = 6, high: int = 14) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    def story(self, tags: int, words: int) -> str:
        """About `words` words in paragraphs, `tags` tags each after a sentence, mid-paragraph."""
        sentences: list[str] = []
        while sum(len(s.split()) for s in sentences) < words:
            sentences.append(self.sentence())
        slots = sorted(self.rng.sample(range(len(sentences)), min(tags, len(sentences))))
        out = ""
        for i, s in enumerate(sentences):
            out += s
            if i in slots:
                out += f' <img-prompt="{self.prompt()}">'
            if i < len(sentences) - 1:
                out += "\n\n" if self.rng.random() < 0.2 else " "
        return out

    def reply(self) -> str:
        return self.story(self.rng.randint(2, 5), self.rng.randint(100, 300))

    def continuation(self) -> str:
        return self.story(self.rng.randint(0, 2), self.rng.randint(30, 100))

    def user_line(self) -> str:
        self.lines += 1
        return f"User line {self.lines} asks about {self.rng.choice(SUBJECTS)}. {self.sentence(4, 9)}"

    def edit_line(self, step: int) -> str:
        return f"Edited at step {step}, {self.sentence(4, 9).lower()}"


def strip_ours(text: str) -> str:
    return IMG_OF_OURS.sub("", text)


def norm(text: str) -> str:
    """Text as compared: our pictures removed, whitespace runs collapsed (SillyTavern trims
    the ends and line ends, and a continue joins with a space of its own)."""
    return " ".join(strip_ours(text).split())


def short(text: str, n: int = 90) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[:n - 1] + "…"


def first_difference(expected: str, actual: str) -> str:
    e, a = norm(expected), norm(actual)
    i = next((k for k, (x, y) in enumerate(zip(e, a)) if x != y), min(len(e), len(a)))
    return (f"first difference at char {i}: expected …{e[max(0, i - 40):i + 60]!r}… "
            f"got …{a[max(0, i - 40):i + 60]!r}… (lengths {len(e)} vs {len(a)})")


# -- the model --------------------------------------------------------------------------

@dataclass
class Msg:
    is_user: bool
    swipes: list[str]  # expected text of each swipe, our pictures not included
    swipe_id: int = 0
    history: list[str] = field(default_factory=list)  # which actions made or changed it

    @property
    def text(self) -> str:
        return self.swipes[self.swipe_id]


@dataclass
class ChatModel:
    label: str  # chat1, chat2, ... in the log
    file: str  # SillyTavern's chat id: the file name without .jsonl
    messages: list[Msg]
    left_at: int | None = None  # the action that last switched away from it


@dataclass
class Finding:
    invariant: str
    where: str
    detail: str
    action: int
    cause: str = ""  # groups findings of one invariant in the summary

    def __str__(self) -> str:
        return f"[{self.invariant}] {self.where} (by action #{self.action}): {self.detail}"


def live_swipes(m: dict[str, Any]) -> tuple[list[str], int]:
    swipes = m.get("swipes")
    if isinstance(swipes, list) and swipes:
        sid = int(m.get("swipe_id") or 0)
        texts = [str(s) for s in swipes]
        if 0 <= sid < len(texts):
            texts[sid] = str(m.get("mes", ""))  # what is shown is `mes`
        return texts, sid
    return [str(m.get("mes", ""))], 0


def msg_from_live(m: dict[str, Any], note: str) -> Msg:
    swipes, sid = live_swipes(m)
    return Msg(bool(m.get("is_user")), [strip_ours(s) for s in swipes], sid, [note])


def shown_text(m: dict[str, Any]) -> str:
    swipes, sid = live_swipes(m)
    return swipes[sid]


def align(model: list[Msg], actual: list[dict[str, Any]]) -> tuple[dict[int, int], list[int], list[int]]:
    """Pair the model's messages with a chat's by their text, so one lost message shows as one
    gap: (model index -> chat index, model messages missing, chat messages unexpected). Pairs
    of changed messages at the same place are paired too (their texts differ)."""
    matcher = difflib.SequenceMatcher(a=[norm(m.text) for m in model], b=[norm(shown_text(m)) for m in actual],
                                      autojunk=False)
    pairs: dict[int, int] = {}
    missing: list[int] = []
    extra: list[int] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            pairs.update(zip(range(i1, i2), range(j1, j2)))
        else:
            missing += range(i1, i2)
            extra += range(j1, j2)
    return pairs, missing, extra


def adopt(model: list[Msg], live: list[dict[str, Any]], note: str) -> list[Msg]:
    """The page's messages as the new expectation, keeping the history of those that match."""
    out = [msg_from_live(m, note) for m in live]
    pairs, _, _ = align(model, live)
    for i, j in pairs.items():
        out[j].history = model[i].history + [note]
    return out


def compare_chat(expected: list[Msg], actual: list[dict[str, Any]], where: str) -> list[tuple[str, str, str]]:
    """(invariant, where, detail) for every difference between the model and a chat (the page's
    or a saved file's). Messages are aligned first, so one lost message is one problem."""
    problems: list[tuple[str, str, str]] = []
    pairs, missing, extra = align(expected, actual)
    for i in missing:
        m = expected[i]
        kind = "user text lost" if m.is_user else "reply text lost"
        problems.append((kind, f"{where} message {i}", f"missing: {short(m.text)!r} (history: {'; '.join(m.history)})"))
    for j in extra:
        problems.append(("unexpected message", f"{where} message {j}", short(shown_text(actual[j]))))
    for i, j in pairs.items():
        e, a = expected[i], actual[j]
        swipes, sid = live_swipes(a)
        at = f"{where} message {j}"
        kind = "user text lost" if e.is_user else "reply text lost"
        history = "; ".join(e.history)
        if bool(a.get("is_user")) != e.is_user:
            problems.append(("message changed sides", at, f"is_user={a.get('is_user')} (history: {history})"))
        if len(swipes) != len(e.swipes):
            problems.append(("swipes lost or added", at, f"{len(swipes)} swipes, expected {len(e.swipes)} (history: {history})"))
        elif sid != e.swipe_id:
            problems.append(("wrong swipe shown", at, f"swipe {sid}, expected {e.swipe_id} (history: {history})"))
        for k, (want, got) in enumerate(zip(e.swipes, swipes)):
            if norm(want) != norm(got):
                problems.append((kind, f"{at} swipe {k}", f"{first_difference(want, got)} (history: {history})"))
    return problems


# -- pictures in a text ---------------------------------------------------------------------

@dataclass
class Tag:
    prompt: str
    start: int
    end: int
    image: tuple[str, str] | None = None  # (src, title) of our picture right after it


def read_pictures(text: str) -> tuple[list[Tag], list[str]]:
    """The tags of a text with their pictures, and every misplaced picture of ours."""
    tags: list[Tag] = []
    problems: list[str] = []
    last: Tag | None = None  # the tag a picture may follow, while nothing but whitespace came after it
    prev_end = 0
    for m in TOKEN.finditer(text):
        gap = text[prev_end:m.start()]
        prev_end = m.end()
        if m.group(1) is not None:
            last = Tag(html.unescape(m.group(1)), m.start(), m.end())
            tags.append(last)
            continue
        src, title = m.group(2), html.unescape(m.group(4))  # alt: the tag's prompt (title: what was sent)
        adjacent = last is not None and not gap.strip() and gap.count("\n") <= 1
        if last is None or not adjacent:
            problems.append(f"picture {title!r} ({src}) is not right after a tag: …{short(text[max(0, m.start() - 60):m.start()], 60)!r}")
        elif last.image is not None:
            problems.append(f"tag {last.prompt!r} has two pictures: {last.image[0]} and {src}")
        elif title != last.prompt:
            problems.append(f"picture of {title!r} sits after the tag of {last.prompt!r}")
        else:
            last.image = (src, title)
            continue
        last = None
    if text.count("data-iig") != len(IMG_OF_OURS.findall(text)):
        problems.append("markup with data-iig that is not our picture form: " + short(text[text.find("data-iig") - 20:], 120))
    return tags, problems


# -- the page ------------------------------------------------------------------------------

TIMERS_JS = """(folder) => {
  // Count timers the extension starts (its frames in the creating stack) until they fire or
  // are cleared, to prove none is left running at the end.
  if (globalThis.__chaosTimers) return;
  const live = new Map();
  const wrap = (set, clear, repeat) => {
    const original = globalThis[set], originalClear = globalThis[clear];
    globalThis[set] = function (fn, ms, ...args) {
      const stack = new Error().stack || '';
      // Only timers the extension's own code starts (its frame calls setTimeout); those of
      // libraries it calls (toastr's fade-out, SillyTavern's save polling) end on their own.
      const caller = stack.split('\\n')[2] || '';
      if (!caller.includes(folder)) return original.call(this, fn, ms, ...args);
      let id = 0;
      const run = typeof fn === 'function'
        ? function () { if (!repeat) live.delete(id); return fn.apply(this, arguments); }
        : fn;
      id = original.call(this, run, ms, ...args);
      live.set(id, `${set}(${ms}) from ${stack.split('\\n').slice(2, 4).map(s => s.trim()).join(' < ')}`);
      return id;
    };
    globalThis[clear] = function (id) { live.delete(id); return originalClear.call(this, id); };
  };
  wrap('setTimeout', 'clearTimeout', false);
  wrap('setInterval', 'clearInterval', true);
  globalThis.__chaosTimers = live;
}"""

RUNNING_JS = """() => {
  const ii = globalThis.inlineImages;
  if (!ii?.jobs) return ['globalThis.inlineImages.jobs is missing'];
  const detail = [];
  // The extension's own answer where it has one; its jobs and limiter otherwise.
  const idle = typeof ii.idle === 'function' ? Boolean(ii.idle()) : null;
  const jobs = [...ii.jobs.jobs].filter((job) => job.status !== 'failed');
  if (idle === false || (idle === null && jobs.length)) {
    detail.push(`${jobs.length} unsettled jobs${idle === false ? ' (inlineImages.idle() is false)' : ''}`);
    for (const job of jobs.slice(0, 6)) detail.push(`job ${job.id} ${job.status} "${job.prompt}" (chat ${job.chatId})`);
  }
  const limiter = ii.jobs.queue;
  if (idle === null && limiter?.active) detail.push(`limiter: ${limiter.active} running`);
  if (idle === null && limiter?.queued) detail.push(`limiter: ${limiter.queued} queued`);
  for (const timer of (globalThis.__chaosTimers?.values() ?? [])) detail.push(`timer ${timer}`);
  return detail;
}"""


def running_work(page: Page) -> list[str]:
    """What the extension still has running, empty when nothing: `inlineImages.idle()` where
    the extension has it (its jobs, limiter queue and failed-job bookkeeping otherwise), plus
    every timer it started that has neither fired nor been cleared. The one place that knows
    the extension's internals: change it here when they change."""
    return [str(d) for d in page.evaluate(RUNNING_JS)]


def press(button: Locator) -> None:
    """Click as a user does; a toast over the button (they stack at the top right, where the
    first message's buttons are) is waited out, then clicked through as a user would."""
    try:
        button.click(timeout=3_000)
    except PlaywrightTimeoutError:
        button.dispatch_event("click")


def texts(rows: list[dict[str, Any]]) -> list[tuple[list[str], int]]:
    return [live_swipes(m) for m in rows]


def wait_for(check: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """The check's value once truthy; its last value (falsy) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# How long after a reply arrives `send-and-leave` switches chats. Below about 250 ms is inside
# SillyTavern's own save window (see act_send_and_leave); CHAOS_LEAVE_MS=300,400,500,600,800
# keeps the walk outside it.
LEAVE_MS = [int(v) for v in os.environ.get("CHAOS_LEAVE_MS", "0,30,50,120,300").split(",")]

IDLE_JS = """() => {
  const stop = document.querySelector('#mes_stop');
  if (stop && getComputedStyle(stop).display !== 'none') return false;
  if (document.body.dataset.generating) return false;
  const sp = SillyTavern.getContext().streamingProcessor;
  return !sp || sp.isFinished || sp.isStopped;
}"""


class Chaos:
    """One seeded walk over user actions, with the model it keeps and the problems it finds."""

    def __init__(self, seed: int, page: Page, st: SillyTavern, llm: StandInLLM,
                 images: StandInImageServer, console: list[str]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.writer = Writer(self.rng)
        self.page, self.st, self.llm, self.images, self.console = page, st, llm, images, console
        self.chats: list[ChatModel] = []
        self.current: ChatModel
        self.log: list[str] = []
        self.findings: list[Finding] = []
        self.step = 0
        self.started = time.monotonic()
        self.streaming = stpage.streaming(page)
        self.page_errors: list[tuple[int, str, str]] = []  # (action, message, stack)
        page.on("pageerror", lambda e: self.page_errors.append((self.step, e.message, e.stack or "")))
        # A step that cannot happen should fail in seconds, not hold the walk for half a minute.
        page.set_default_timeout(10_000)
        page.evaluate(TIMERS_JS, f"/third-party/{EXTENSION_FOLDER}/")
        self.current = self._adopt_open_chat()

    # -- bookkeeping -----------------------------------------------------------------------
    def note(self, text: str) -> None:
        running = running_work(self.page)
        timers = sum(r.startswith("timer ") for r in running)
        jobs = next((int(r.split()[0]) for r in running if r.split()[0].isdigit()), 0)
        busy = "idle" if not running else f"extension busy: {jobs} jobs, {timers} timers"
        line = f"#{self.step:02d} {time.monotonic() - self.started:6.1f}s [{self.current.label}] {text} ({busy})"
        self.log.append(line)
        print("[chaos]", line, flush=True)

    def problem(self, invariant: str, where: str, detail: str, cause: str = "") -> None:
        finding = Finding(invariant, where, detail, self.step, cause)
        self.findings.append(finding)
        print("[chaos] PROBLEM", finding, flush=True)

    def _adopt_open_chat(self) -> ChatModel:
        """The chat just opened fresh (greeting only): its greeting is SillyTavern's."""
        live = stpage.chat(self.page)
        model = ChatModel(f"chat{len(self.chats) + 1}", stpage.current_chat_file(self.page),
                          [msg_from_live(m, f"#{self.step} greeting") for m in live])
        self.chats.append(model)
        return model

    def check_live(self, resync: bool = True) -> None:
        """Compare the open chat with the model; record and adopt any difference."""
        live = stpage.chat(self.page)
        problems = compare_chat(self.current.messages, live, f"{self.current.label} (on the page)")
        for p in problems:
            self.problem(*p)
        if problems and resync:
            self.current.messages = adopt(self.current.messages, live, f"#{self.step} adopted from the page after a problem")

    # -- waiting on SillyTavern ----------------------------------------------------------------
    def wait_idle(self, timeout: float = 60) -> None:
        self.page.wait_for_function(IDLE_JS, timeout=timeout * 1000, polling=50)

    def requests(self) -> list[LLMRequest]:
        return self.llm.generation_requests()

    def _await_request(self, before: int, retry: Callable[[], None] | None, timeout: float = 20) -> LLMRequest | None:
        """The generation request the action caused, clicking again (as a user would) if
        SillyTavern was still busy and ignored the first click."""
        deadline = time.monotonic() + timeout
        next_retry = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            found = self.requests()
            if len(found) > before:
                if len(found) > before + 1:
                    self.note(f"(test) {len(found) - before} generation requests for one action")
                return found[before]
            if retry and time.monotonic() > next_retry and stpage.is_generating(self.page) is False:
                retry()
                next_retry = time.monotonic() + 2.5
            time.sleep(0.05)
        return None

    # -- generations -------------------------------------------------------------------------
    def _script(self, text: str, stop: bool) -> tuple[Reply, Gate | None]:
        self.llm.clear_queue()
        gate = None
        if stop:
            cut = self.rng.randint(len(text) // 5, 4 * len(text) // 5)
            gate = Gate()
            reply = Reply([text[:cut], gate, text[cut:]])
        else:
            reply = Reply([text])
        self.llm.queue(reply)
        return reply, gate

    def _generate(self, trigger: Callable[[], None], text: str, stop: bool,
                  retry: Callable[[], None] | None = None) -> tuple[LLMRequest | None, bool]:
        """Run one generation; returns its request and whether it was stopped mid-stream."""
        stop = stop and self.streaming
        _reply, gate = self._script(text, stop)
        before = len(self.requests())
        trigger()
        request = self._await_request(before, retry)
        if request is None:
            self.llm.clear_queue()
            raise RuntimeError("SillyTavern sent no generation request")
        stopped = False
        if gate is not None:
            try:
                if not gate.reached.wait(30):
                    raise RuntimeError("the reply never reached its stop point")
                time.sleep(self.rng.uniform(0.05, 0.4))  # the user's reaction time
                self.page.locator("#mes_stop").click(timeout=5_000)
                stopped = True
            finally:
                gate.open()
        self.wait_idle()
        return request, stopped

    def _sent(self, request: LLMRequest) -> str:
        return request.reply.full_text() if request.reply else request.sent

    def _partial(self, base: str, sent: str, index: int) -> str:
        """The text a stopped generation left in the last message, checked to be the text
        before plus a prefix of what was sent, and adopted as the expected text."""
        live = stpage.chat(self.page)
        if index >= len(live):
            self.problem("reply text lost", f"{self.current.label} message {index}", "the stopped reply's message is gone")
            return base
        got = strip_ours(str(live[index].get("mes", "")))
        whole = norm(base + " " + sent)
        if not norm(got).startswith(norm(base)) or not whole.startswith(norm(got)):
            self.problem("stopped reply is not a prefix of what was sent", f"{self.current.label} message {index}",
                         first_difference(base + " " + sent, got))
        return got

    def _send_typed(self, text: str) -> None:
        """Type and press Send, as stpage.send does, without waiting for the reply: the
        generation's own request and end are awaited after (and a chat switch may come first)."""
        self.page.fill("#send_textarea", text)
        for _ in range(5):
            self.page.click("#send_but")
            # Right after a reply SillyTavern can still be busy and ignore the click; a user clicks again.
            if wait_for(lambda: self.page.evaluate("() => document.querySelector('#send_textarea').value === ''"), 2):
                return
        raise RuntimeError("SillyTavern did not take the message")

    def act_send(self, stop: bool) -> None:
        typed = self.writer.user_line()
        reply = self.writer.reply()
        chat = self.current
        self.note(f"send {typed[:24]!r}…{' and stop mid-stream' if stop else ''}")
        request, stopped = self._generate(lambda: self._send_typed(typed), reply, stop)
        assert request is not None
        chat.messages.append(Msg(True, [typed], 0, [f"#{self.step} typed"]))
        sent = self._sent(request)
        index = len(chat.messages)
        text = self._partial("", sent, index) if stopped else sent
        chat.messages.append(Msg(False, [text], 0, [f"#{self.step} reply{' (stopped)' if stopped else ''}"]))

    def _last_reply(self) -> Msg | None:
        msgs = self.current.messages
        return msgs[-1] if len(msgs) > 1 and not msgs[-1].is_user else None

    def act_swipe(self, stop: bool) -> None:
        last = self._last_reply()
        assert last is not None
        index = len(self.current.messages) - 1
        click = lambda: self.page.locator("#chat .last_mes .swipe_right").click(timeout=10_000)  # noqa: E731
        if last.swipe_id < len(last.swipes) - 1:
            self.note(f"swipe right to existing swipe {last.swipe_id + 1} of message {index}")
            self._navigate(click, index, last.swipe_id + 1)
            last.swipe_id += 1
            return
        self.note(f"swipe right: new swipe {len(last.swipes)} of message {index}{' and stop mid-stream' if stop else ''}")
        request, stopped = self._generate(click, self.writer.reply(), stop, retry=click)
        assert request is not None
        sent = self._sent(request)
        last.swipes.append("")
        last.swipe_id = len(last.swipes) - 1
        last.swipes[-1] = self._partial("", sent, index) if stopped else sent
        last.history.append(f"#{self.step} swipe {last.swipe_id}{' (stopped)' if stopped else ''}")

    def act_swipe_left(self) -> None:
        last = self._last_reply()
        assert last is not None and last.swipe_id > 0
        index = len(self.current.messages) - 1
        self.note(f"swipe left to swipe {last.swipe_id - 1} of message {index}")
        self._navigate(lambda: self.page.locator("#chat .last_mes .swipe_left").click(timeout=10_000), index, last.swipe_id - 1)
        last.swipe_id -= 1

    def _navigate(self, click: Callable[[], None], index: int, swipe_id: int) -> None:
        for _ in range(4):
            click()
            ok = wait_for(lambda: self.page.evaluate("(i) => SillyTavern.getContext().chat[i]?.swipe_id", index) == swipe_id, 2.5)
            if ok:
                break
        else:
            raise RuntimeError(f"the swipe to {swipe_id} did not happen")
        self.wait_idle()

    def _menu(self, option: str) -> Callable[[], None]:
        """Click an entry of the options menu (the burger left of the input), as a user does."""
        def click() -> None:
            item = self.page.locator(f"#{option}")
            for _ in range(3):
                if not item.is_visible():
                    self.page.click("#options_button")  # it toggles the menu
                if wait_for(item.is_visible, 2, 0.05):
                    item.click()
                    return
            raise RuntimeError(f"the options menu did not show #{option}")
        return click

    def act_regenerate(self, stop: bool) -> None:
        msgs = self.current.messages
        replaces = not msgs[-1].is_user
        self.note(f"regenerate{' message ' + str(len(msgs) - 1) if replaces else ' (after a user message)'}"
                  f"{' and stop mid-stream' if stop else ''}")
        click = self._menu("option_regenerate")
        request, stopped = self._generate(click, self.writer.reply(), stop, retry=click)
        assert request is not None
        if replaces:
            msgs.pop()  # SillyTavern deletes the last reply, every swipe of it, and writes a new one
        index = len(msgs)
        sent = self._sent(request)
        text = self._partial("", sent, index) if stopped else sent
        msgs.append(Msg(False, [text], 0, [f"#{self.step} regenerated{' (stopped)' if stopped else ''}"]))

    def act_continue(self, stop: bool) -> None:
        last = self.current.messages[-1]
        assert not last.is_user
        index = len(self.current.messages) - 1
        self.note(f"continue message {index}{' and stop mid-stream' if stop else ''}")
        base = last.text
        click = self._menu("option_continue")
        request, stopped = self._generate(click, self.writer.continuation(), stop, retry=click)
        assert request is not None
        sent = self._sent(request)
        last.swipes[last.swipe_id] = self._partial(base, sent, index) if stopped else base + " " + sent
        last.history.append(f"#{self.step} continued{' (stopped)' if stopped else ''}")

    def act_edit(self) -> None:
        msgs = self.current.messages
        # Half the time the last message: the one most likely to have pictures on the way.
        index = len(msgs) - 1 if self.rng.random() < 0.5 else self.rng.randrange(len(msgs))
        where_kind = self.rng.choice(["end", "middle"])
        place = self.rng.random()  # which paragraph break, for "middle"
        line = self.writer.edit_line(self.step)
        think, confirm_after = self.rng.choice([0.05, 0.5, 1.5, 3.0]), self.rng.choice([0.0, 0.2, 0.8])
        msg = msgs[index]
        self.note(f"edit message {index} ({where_kind}), {think}s with the edit box open")
        block = self.page.locator(f"#chat .mes[mesid='{index}']")
        press(block.locator(".mes_edit"))
        read_box = "() => document.querySelector('#curEditTextarea')?.value ?? null"
        before = wait_for(lambda: self.page.evaluate(read_box), 5, 0.02)
        typed = "gone"
        after = ""
        if before is not None:
            time.sleep(think)  # the user reads and types; pictures may land meanwhile
            paragraphs = str(before).split("\n\n")
            if where_kind == "end" or len(paragraphs) < 2:
                after = str(before).rstrip() + " " + line
            else:
                k = 1 + int(place * (len(paragraphs) - 1))
                after = "\n\n".join(paragraphs[:k] + [line] + paragraphs[k:])
            typed = self.page.evaluate("""([before, after]) => {
                const box = document.querySelector('#curEditTextarea');
                if (!box) return 'gone';
                if (box.value !== before) return 'changed';
                box.value = after;
                box.dispatchEvent(new Event('input', { bubbles: true }));
                return 'typed';
            }""", [before, after])
        elif not block.locator(".mes_edit_done").is_visible():
            raise RuntimeError("the pencil did not open the editor")
        if typed != "typed":
            self.problem("edit box lost while open", f"{self.current.label} message {index}",
                         f"the edit box was {'closed' if typed == 'gone' else 'rewritten'} under the user "
                         f"{'before they could type' if before is None else f'after {think}s'} "
                         f"(history: {'; '.join(msg.history)})")
        time.sleep(confirm_after)
        if typed == "typed" and self.page.evaluate(read_box) != after:
            typed = "lost after typing"
            self.problem("edit box lost while open", f"{self.current.label} message {index}",
                         f"the edit box was closed or rewritten after the user typed, before they confirmed "
                         f"(history: {'; '.join(msg.history)})")
        # The user confirms (the check mark is still there even when the box is gone).
        done = block.locator(".mes_edit_done")
        if done.is_visible():
            press(done)
        wait_for(lambda: self.page.locator("#curEditTextarea").count() == 0, 10)
        self.wait_idle()
        if typed == "typed":
            msg.swipes[msg.swipe_id] = strip_ours(after)
            msg.history.append(f"#{self.step} edited ({where_kind})")
        else:
            msg.history.append(f"#{self.step} edit attempted, box lost")

    def act_delete(self) -> None:
        msgs = self.current.messages
        index = self.rng.randrange(1, len(msgs))
        how = "/del 1" if index == len(msgs) - 1 and self.rng.random() < 0.5 else f"/cut {index}"
        self.note(f"delete message {index} with {how}")
        n = len(msgs)
        self.page.evaluate("async (c) => await SillyTavern.getContext().executeSlashCommandsWithOptions(c)", how)
        self.page.wait_for_function("(n) => SillyTavern.getContext().chat.length === n - 1", arg=n, timeout=10_000)
        msgs.pop(index)

    def _open(self, target: ChatModel) -> None:
        self.page.evaluate("async (name) => await SillyTavern.getContext().openCharacterChat(name)", target.file)
        self.page.wait_for_function("""(name) => { const c = SillyTavern.getContext();
            return c.getCurrentChatId() === name && c.chat.length > 0
                && document.querySelectorAll('#chat .mes').length === c.chat.length; }""", arg=target.file, timeout=20_000)
        self.current = target
        self.wait_idle()

    def _new_chat(self) -> None:
        old = stpage.current_chat_file(self.page)
        self.page.evaluate("async () => await SillyTavern.getContext().executeSlashCommandsWithOptions('/newchat')")
        self.page.wait_for_function("(old) => { const c = SillyTavern.getContext(); return c.getCurrentChatId() !== old"
                                    " && c.chat.length === 1; }", arg=old, timeout=20_000)
        self.current = self._adopt_open_chat()

    def _unsaved(self) -> list[int]:
        """Messages of the open chat whose text (our pictures aside) is not yet in its file."""
        page, saved = stpage.chat(self.page), self.saved(self.current)
        if len(page) != len(saved):
            return list(range(min(len(page), len(saved)), max(len(page), len(saved))))
        return [i for i, (a, b) in enumerate(zip(page, saved))
                if [norm(t) for t in live_swipes(a)[0]] != [norm(t) for t in live_swipes(b)[0]]]

    def _human_pause_before_leaving(self) -> None:
        """SillyTavern itself saves 0.1-0.25 s after a reply or an edit ends, and a chat switch
        before that loses the change without any extension (CHAOS_CONTROL=1 shows it). A
        person needs longer to reach the chat list, so an ordinary switch waits until the
        page is saved, for at most 1.5 s; `send-and-leave` is the deliberately faster one."""
        wait_for(lambda: not self._unsaved(), 1.5, 0.05)

    def act_switch(self) -> None:
        others = [c for c in self.chats if c is not self.current]
        self._human_pause_before_leaving()
        self.current.left_at = self.step
        if len(self.chats) < 3 and (not others or self.rng.random() < 0.5):
            self.note("switch to a new chat")
            self._new_chat()
            self.note(f"  now in {self.current.label} ({self.current.file})")
        else:
            target = self.rng.choice(others)
            self.note(f"switch back to {target.label} (left at #{target.left_at})")
            self._open(target)
            self.check_live()

    def act_send_and_leave(self) -> None:
        """Send, and switch chats a moment after the reply arrives (MESSAGE_RECEIVED), while its
        pictures are pending. Below about 0.25 s this is inside SillyTavern's own window: it
        saves a reply only after the CHARACTER_MESSAGE_RENDERED listeners, and a switch first
        clears the chat, so without any extension the reply can be lost (CHAOS_CONTROL=1)."""
        delay = self.rng.choice(LEAVE_MS)
        others = [c for c in self.chats if c is not self.current]
        target = self.rng.choice(others) if others and (len(self.chats) >= 3 or self.rng.random() < 0.5) else None
        typed, reply = self.writer.user_line(), self.writer.reply()
        chat = self.current
        self.note(f"send {typed[:24]!r}… and switch to {target.label if target else 'a new chat'} {delay} ms after the reply arrives")
        self.page.evaluate("""([delay, file]) => {
            const { eventSource, eventTypes } = SillyTavern.getContext();
            globalThis.__chaosSwitched = false;
            eventSource.once(eventTypes.MESSAGE_RECEIVED, () => setTimeout(async () => {
                const c = SillyTavern.getContext();
                if (file) await c.openCharacterChat(file);
                else await c.executeSlashCommandsWithOptions('/newchat');
                globalThis.__chaosSwitched = true;
            }, delay));
        }""", [delay, target.file if target else None])
        request, _ = self._generate(lambda: self._send_typed(typed), reply, stop=False)
        assert request is not None
        self.page.wait_for_function("() => globalThis.__chaosSwitched === true", timeout=30_000)
        chat.messages.append(Msg(True, [typed], 0, [f"#{self.step} typed"]))
        how = "streamed" if self.streaming else "not streamed"
        # SillyTavern's own save of a reply comes 0.1-0.25 s after MESSAGE_RECEIVED.
        early = ", before SillyTavern's own save is due" if delay < 300 else ""
        chat.messages.append(Msg(False, [self._sent(request)], 0,
                                 [f"#{self.step} reply ({how}), left {delay} ms after it arrived{early}"]))
        chat.left_at = self.step
        self.page.wait_for_function("() => document.querySelectorAll('#chat .mes').length === SillyTavern.getContext().chat.length",
                                    timeout=20_000)
        self.wait_idle()
        if target:
            self.current = target
            self.check_live()
        else:
            self.current = self._adopt_open_chat()
        self.note(f"  now in {self.current.label}")

    def act_toggle_streaming(self) -> None:
        self.streaming = not self.streaming
        self.note(f"turn streaming {'on' if self.streaming else 'off'}")
        stpage.set_streaming(self.page, self.streaming)

    # -- the walk ----------------------------------------------------------------------------
    def choose(self) -> tuple[str, Callable[[], None]]:
        msgs = self.current.messages
        last = msgs[-1]
        reply_last = len(msgs) > 1 and not last.is_user
        stop = self.streaming and self.rng.random() < 0.3
        options: list[tuple[float, str, Callable[[], None]]] = [
            (25, "send", lambda: self.act_send(stop)),
            (10, "edit", self.act_edit),
            (8, "switch", self.act_switch),
            (5, "send-and-leave", self.act_send_and_leave),
            (4, "streaming", self.act_toggle_streaming),
        ]
        if len(msgs) > 1:
            options.append((7, "delete", self.act_delete))
        if reply_last:
            options.append((12, "swipe", lambda: self.act_swipe(stop)))
            if last.swipe_id > 0:
                options.append((4, "swipe-left", self.act_swipe_left))
        if len(msgs) > 1:
            options.append((8, "regenerate", lambda: self.act_regenerate(stop)))
        if not last.is_user:
            options.append((8, "continue", lambda: self.act_continue(stop)))
        total = sum(w for w, _, _ in options)
        pick = self.rng.uniform(0, total)
        for weight, name, run in options:
            pick -= weight
            if pick <= 0:
                return name, run
        return options[-1][1], options[-1][2]

    def think(self) -> None:
        """The user's pause between actions: often none (the chaos is in the quick ones), now
        and then a few seconds of reading, which also lets the image backend catch up (with
        two pictures at a time and 2 s each on average, it draws about one a second)."""
        r = self.rng.random()
        time.sleep(0.0 if r < 0.25 else self.rng.uniform(0.2, 1.5) if r < 0.7 else self.rng.uniform(2.0, 5.0))

    def walk(self, actions: int, min_seconds: float, max_seconds: float) -> None:
        while True:
            elapsed = time.monotonic() - self.started
            if self.step >= actions and elapsed >= min_seconds:
                break
            if elapsed >= max_seconds:
                self.note(f"(time limit of {max_seconds:.0f} s reached)")
                break
            self.step += 1
            name, run = self.choose()
            try:
                run()
                if name not in ("switch", "send-and-leave"):
                    self.check_live()
            except Exception as error:  # noqa: BLE001 - an action that cannot finish is itself a finding
                self.problem("action could not finish", f"{self.current.label} action {name}", f"{type(error).__name__}: {error}".split("\n")[0])
                if not self.recover():
                    self.note("(could not recover the page; ending the walk)")
                    break
            self.think()

    def recover(self) -> bool:
        """Bring the page back to a quiet state after a failed action, and the model in step with it."""
        try:
            self.llm.clear_queue()
            if stpage.is_generating(self.page):
                self.page.locator("#mes_stop").click(timeout=5_000)
            if self.page.locator("#curEditTextarea").count():
                self.page.locator(".mes_edit_cancel:visible").first.click(timeout=5_000)
            self.wait_idle(30)
            file = stpage.current_chat_file(self.page)
            known = next((c for c in self.chats if c.file == file), None)
            self.current = known or self._adopt_open_chat()
            self.check_live()
            return True
        except Exception as error:  # noqa: BLE001
            self.note(f"(recovery failed: {type(error).__name__}: {str(error).splitlines()[0]})")
            return False

    # -- the end -----------------------------------------------------------------------------
    def settle(self, timeout: float, quiet: float = 20) -> None:
        """Wait for every picture still being drawn. The wait goes on while there is progress
        (new image requests, jobs settling), up to `timeout`; what is left after `quiet`
        seconds without progress, or at `timeout`, is a finding. After one such finding the
        later waits are short, to keep the test's time bounded."""
        if any(f.invariant == "job or timer left running" for f in self.findings):
            timeout = quiet = 3
        end = time.monotonic() + timeout
        last_change = time.monotonic()
        seen: tuple[int, list[str]] = (-1, [])
        while True:
            running = running_work(self.page)
            if not running:
                return
            state = (len(self.images.requests), running)
            if state != seen:
                seen, last_change = state, time.monotonic()
            now = time.monotonic()
            if now > end or now - last_change > quiet:
                break
            time.sleep(0.25)
        self.problem("job or timer left running", self.current.label,
                     f"after {now - last_change:.0f} s without progress: " + "; ".join(running[:8]))

    def chat_path(self, chat: ChatModel) -> Path | None:
        return next((self.st.user_dir / "chats").rglob(f"{chat.file}.jsonl"), None)

    def saved(self, chat: ChatModel) -> list[dict[str, Any]]:
        path = self.chat_path(chat)
        return self.st.read_chat(path)[1:] if path else []

    def visible_failures(self) -> dict[tuple[int, int], set[str]]:
        """Prompts shown as failed, per (message, swipe) of the open chat."""
        marks = self.page.evaluate("""() => {
            const c = SillyTavern.getContext();
            return [...document.querySelectorAll('#chat .mes')].map((el) => {
                const i = Number(el.getAttribute('mesid'));
                const titles = [...el.querySelectorAll('.mes_text [data-iig-state="failed"]')].map((s) => s.getAttribute('title') || '');
                return [i, c.chat[i]?.swipe_id ?? 0, titles];
            });
        }""")
        out: dict[tuple[int, int], set[str]] = {}
        for index, swipe, titles in marks:
            # The title is "prompt — reason"; prompts here never contain " — ".
            out[(int(index), int(swipe))] = {str(t).split(" — ")[0] for t in titles}
        return out

    def finish(self, pictures: bool = True) -> None:
        """Settle, then visit every chat: the page, the saved file, the pictures (unless
        `pictures` is off, for a control run without the extension)."""
        self.step += 1
        self.note("(end of the walk: waiting for the pictures, then checking every chat)")
        try:
            self.wait_idle(60)
        except Exception as error:  # noqa: BLE001
            self.problem("generation never ended", self.current.label, str(error).splitlines()[0])
        self.settle(60)
        order = [self.current] + [c for c in self.chats if c is not self.current]
        seen_src: dict[str, str] = {}
        for chat in order:
            if chat is not self.current:
                self.note(f"open {chat.label} for the final check (left at #{chat.left_at})")
                try:
                    self._open(chat)
                except Exception as error:  # noqa: BLE001
                    self.problem("chat could not be opened", chat.label, str(error).splitlines()[0])
                    continue
                self.settle(20)  # pictures of this chat may still be written now that it is open
            shown = self.visible_failures()
            # The file catches up with the page once SillyTavern's and the extension's saves land.
            if not wait_for(lambda: texts(self.saved(chat)) == texts(stpage.chat(self.page)), 15, 0.25):
                live = stpage.chat(self.page)
                saved = self.saved(chat)
                differ = [i for i, (a, b) in enumerate(zip(texts(saved), texts(live))) if a != b]
                first = (f"; message {differ[0]} saved {short(str(saved[differ[0]].get('mes')), 60)!r}, "
                         f"on the page {short(str(live[differ[0]].get('mes')), 60)!r}") if differ else ""
                self.problem("saved chat differs from the page", chat.label,
                             f"{len(saved)} messages saved, {len(live)} on the page; differing: {differ[:10]}{first}")
            self.check_saved(chat, shown, seen_src, pictures)
        self.settle(10)
        outcomes = [r.outcome for r in self.images.requests]
        self.note(f"image backend: {len(outcomes)} requests, {outcomes.count('ok')} drawn, "
                  f"{outcomes.count('http_error')} failed on purpose")

    def check_saved(self, chat: ChatModel, shown: dict[tuple[int, int], set[str]], seen_src: dict[str, str],
                    pictures: bool = True) -> None:
        saved = self.saved(chat)
        model_of = {j: i for i, j in align(chat.messages, saved)[0].items()}
        counts = {"messages": len(saved), "tags": 0, "pictures": 0, "shown failed": 0, "failed off screen": 0}
        for p in compare_chat(chat.messages, saved, f"{chat.label} (saved)"):
            self.problem(*p)
        for i, m in enumerate(saved):
            swipes, sid = live_swipes(m)
            if isinstance(m.get("swipes"), list) and 0 <= sid < len(m["swipes"]) and m["swipes"][sid] != m.get("mes"):
                self.problem("message and its swipe differ", f"{chat.label} (saved) message {i} swipe {sid}",
                             first_difference(str(m["swipes"][sid]), str(m.get("mes"))))
            if m.get("is_user") or not pictures:
                continue
            for k, text in enumerate(swipes):
                where = f"{chat.label} (saved) message {i} swipe {k}"
                tags, misplaced = read_pictures(text)
                for wrong in misplaced:
                    self.problem("picture misplaced", where, wrong)
                for tag in tags:
                    counts["tags"] += 1
                    if tag.image:
                        counts["pictures"] += 1
                        self.check_picture(tag, where, seen_src)
                        continue
                    backend = self.backend_outcome(tag.prompt)
                    displayed = (i, k) in shown
                    if displayed and tag.prompt in shown[(i, k)]:
                        counts["shown failed"] += 1
                        continue  # visibly failed
                    if not displayed and backend == "failed at the image backend":
                        counts["failed off screen"] += 1
                        continue  # a swipe not on screen cannot show its mark; the backend says it failed
                    history = "; ".join(chat.messages[model_of[i]].history) if i in model_of else "?"
                    self.problem("tag neither illustrated nor visibly failed", where,
                                 f"{tag.prompt!r}: {backend}{'' if displayed else ' (swipe not on screen)'} "
                                 f"(history: {history})", cause=backend.split(" (")[0])
        self.note(f"{chat.label} saved: " + ", ".join(f"{n} {k}" for k, n in counts.items()))

    def backend_outcome(self, prompt: str) -> str:
        outcomes = [r.outcome for r in self.images.requests if r.prompt.endswith(prompt)]
        if not outcomes:
            return "never requested from the image backend"
        if "ok" in outcomes:
            return f"drawn by the image backend but not in the chat (attempts: {', '.join(outcomes)})"
        if "pending" in outcomes:
            now = time.monotonic()
            asked = [f"{now - r.started:.0f} s ago (latency {r.delay:.1f} s)" for r in self.images.requests
                     if r.prompt.endswith(prompt) and r.outcome == "pending"]
            return f"still being drawn by the image backend (asked {', '.join(asked)})"
        return "failed at the image backend"

    def check_picture(self, tag: Tag, where: str, seen_src: dict[str, str]) -> None:
        assert tag.image is not None
        src = tag.image[0]
        if src in seen_src:
            self.problem("one picture file for two tags", where, f"{src} is also the picture of {seen_src[src]}")
        seen_src[src] = f"{tag.prompt!r} in {where}"
        file = self.st.user_dir / unquote(src.lstrip("/"))
        if not file.is_file():
            self.problem("picture file missing", where, f"{tag.prompt!r}: {src}")
            return
        asked = [r.prompt for r in self.images.requests if r.prompt.endswith(tag.prompt) and r.outcome == "ok"]
        with Image.open(file) as picture:
            colour = picture.convert("RGB").getpixel((10, 10))
        if asked and colour not in [prompt_colour(p) for p in asked]:
            self.problem("picture shows another prompt", where, f"{tag.prompt!r}: {src} has the colour of a different prompt")

    def check_errors(self) -> None:
        """Console errors of the extension, and every uncaught error on the page (marked by
        whether the extension's code is in its stack)."""
        for line in self.console:
            if line.startswith("error:") and "[Inline Images]" in line:
                self.problem("console error from the extension", "page", short(line, 300))
        folder = f"/third-party/{EXTENSION_FOLDER}/"
        for step, message, stack in self.page_errors:
            frames = [f.strip() for f in stack.splitlines()[1:] if f.strip().startswith("at ")]
            ours = any(folder in f for f in frames)
            where = f"page, during action #{step}"
            self.problem("page error in the extension" if ours else "page error (no extension frame in its stack)", where,
                         f"{message} | " + " < ".join(re.sub(r"https?://[^/]+", "", f)[3:] for f in frames[:4]))

    def report(self) -> str:
        # The run's other CHAOS_* settings (control run, leave delays) go into the replay too.
        others = "".join(f"{k}={v} " for k, v in sorted(os.environ.items())
                         if k.startswith("CHAOS_") and k not in ("CHAOS_SEED", "CHAOS_ACTIONS", "CHAOS_MIN_SECONDS"))
        replay = (f"{others}CHAOS_SEED={self.seed} CHAOS_ACTIONS={self.step - 1} CHAOS_MIN_SECONDS=0 "
                  ".venv/bin/python -m pytest tests/e2e/test_chaos.py")
        lines = [f"chaos seed {self.seed}: {len(self.findings)} problem(s) in {self.step - 1} actions "
                 f"over {time.monotonic() - self.started:.0f} s. Replay: {replay}", ""]
        by_kind: dict[str, int] = {}
        for f in self.findings:
            kind = f"{f.invariant}: {f.cause}" if f.cause else f.invariant
            by_kind[kind] = by_kind.get(kind, 0) + 1
        lines += [f"  {n} × {k}" for k, n in sorted(by_kind.items(), key=lambda kv: -kv[1])]
        lines.append("")
        for f in self.findings[:25]:
            lines.append(str(f))
        if len(self.findings) > 25:
            lines.append(f"… and {len(self.findings) - 25} more")
        lines += ["", "action log:"] + self.log
        return "\n".join(lines)
