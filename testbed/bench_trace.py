"""`python -m testbed.bench_trace [--runs N] [--sizes 200,1000]`: whose time it is, in a long chat.

Three moments of `testbed.bench`, at the end of chats of N illustrated messages (2 pictures
each), with the extension on and off (SillyTavern's own toggle), interleaved, each phase in a
fresh page, each recorded with Chromium's DevTools protocol:
- open: `openCharacterChat` to the next frame;
- send: the Send click to the LLM request leaving (prompt building);
- reply end: the reply streamed (a short one with 2 tags, at once) to its MESSAGE_RECEIVED
  listeners done, and 300 ms after.
For each: `Profiler` (the Performance panel's JavaScript profile, sampled every 100 µs), read as
self time by whose script it is (the extension's files, SillyTavern's, the libraries it
ships) or what the browser does outside scripts (`(program)`: style, layout, paint, parsing;
`(garbage collector)`), with the functions that take the most; `Performance.getMetrics`
(the renderer's totals for scripts, style and layout); the requests the page made
(token counts, chat saves). Profiles go to `test-artifacts/<moment>-<on|off>-<size>-<run>.cpuprofile`
(Chromium's DevTools, Performance panel, opens them). Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from typing import Any, Callable

from playwright.sync_api import CDPSession, sync_playwright

from . import browser as tb_browser
from . import stpage
from .bench import Bench
from .bench_page import CHUNK_CHARS, IMAGE_LATENCY, STORY, STORY_WORDS, WORDS_PER_S
from .llm import Reply
from .sillytavern import EXTENSION_FOLDER, REPO_ROOT

OUT = REPO_ROOT / "test-artifacts"
METRICS = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink", "v8",
                    "loading", "disabled-by-default-v8.gc", "ipc", "mojom"]
MOMENTS = ("open", "send", "reply end", "streaming")
REQUESTS_JS = """() => {
  if (window.__trace) return;
  const T = window.__trace = { counts: 0, saves: 0, received: 0 };
  const fetch0 = window.fetch;
  window.fetch = function (url) {
    const u = String(url);
    if (u.includes('/api/tokenizers/')) T.counts++;
    if (u.includes('/api/chats/save')) T.saves++;
    return fetch0.apply(this, arguments);
  };
  const c = SillyTavern.getContext();
  c.eventSource.makeLast(c.eventTypes.MESSAGE_RECEIVED, () => { T.received++; });
}"""
OPEN_JS = """async (name) => {
  await SillyTavern.getContext().openCharacterChat(name);
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const chat = document.querySelector('#chat');
  return { messages: chat.querySelectorAll('.mes').length, nodes: chat.querySelectorAll('*').length,
           pictures: chat.querySelectorAll('img').length };
}"""
REPLY = ('The rain stopped at last. <img-prompt="a wet cobbled street shining under lanterns"> '
         'They walked on in silence. <img-prompt="two travellers under one umbrella at night"> The end.')


def whose(frame: dict[str, Any]) -> str:
    """Who a profile node's self time belongs to."""
    url, name = str(frame.get("url") or ""), str(frame.get("functionName") or "")
    if f"/third-party/{EXTENSION_FOLDER}/" in url:
        return "the extension"
    if not url:
        return {"(program)": "browser: style, layout, paint, parsing", "(garbage collector)": "garbage collector",
                "(idle)": "idle", "(root)": "idle"}.get(name, "built-ins (no script)")
    if "/lib/" in url or url.endswith("/lib.js") or "/node_modules/" in url:
        return "SillyTavern's libraries"
    return "SillyTavern"


def trace_self_times(trace: bytes) -> dict[str, float]:
    """Self time (s) by event name on the page's main thread, from a Chromium trace: what the
    browser did, named (style, layout, paint, parsing, IPC...), where the profile says `(program)`."""
    events = json.loads(trace)
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    mains = {(e["pid"], e["tid"]) for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"
             and e.get("args", {}).get("name") == "CrRendererMain"}
    spans: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
    open_b: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key not in mains:
            continue
        if e.get("ph") == "X" and "dur" in e:
            spans[key].append((e["ts"], e["ts"] + e["dur"], e["name"]))
        elif e.get("ph") == "B":
            open_b[key].append((e["ts"], e["name"]))
        elif e.get("ph") == "E" and open_b[key]:
            ts, name = open_b[key].pop()
            spans[key].append((ts, e["ts"], name))
    busiest = max(spans, key=lambda k: len(spans[k]), default=None)
    out: dict[str, float] = defaultdict(float)
    stack: list[list[Any]] = []  # [end, name, self]
    for start, end, name in sorted(spans.get(busiest, []), key=lambda s: (s[0], -s[1])) if busiest else []:
        while stack and stack[-1][0] <= start:
            done = stack.pop()
            out[done[1]] += done[2] / 1e6
        if stack:
            stack[-1][2] -= min(end, stack[-1][0]) - start
        stack.append([end, name, end - start])
    for done in stack:
        out[done[1]] += done[2] / 1e6
    return out


def self_times(profile: dict[str, Any]) -> tuple[dict[str, float], dict[tuple[str, str, str], float]]:
    """Self time (s) by owner, and by function, from a CPU profile's samples."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    by_owner: dict[str, float] = defaultdict(float)
    by_fn: dict[tuple[str, str, str], float] = defaultdict(float)
    samples, deltas = profile.get("samples", []), profile.get("timeDeltas", [])
    for i, node_id in enumerate(samples):
        dt = (deltas[i + 1] if i + 1 < len(deltas) else 0) / 1e6  # a sample stands for the time to the next
        frame = nodes[node_id]["callFrame"]
        owner = whose(frame)
        by_owner[owner] += dt
        url = str(frame.get("url") or "")
        where = f"{url.rsplit('/', 1)[-1]}:{frame.get('lineNumber', 0) + 1}" if url else ""
        by_fn[(owner, str(frame.get("functionName") or "(anonymous)"), where)] += dt
    return by_owner, by_fn


class TraceBench(Bench):
    def recorded(self, moment: str, on: bool, size: int, run: int, act: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`act` done under the profiler and the renderer's metrics; what it returns, kept."""
        page = self.page
        assert page is not None
        cdp: CDPSession = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 100})
        for _ in range(2):
            cdp.send("HeapProfiler.collectGarbage")
        page.evaluate("() => { window.__trace.counts = 0; window.__trace.saves = 0; }")
        before = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        browser = page.context.browser
        assert browser is not None
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        cdp.send("Profiler.start")
        t0 = time.monotonic()
        shown = act()
        wall = time.monotonic() - t0
        profile = cdp.send("Profiler.stop")["profile"]
        trace = browser.stop_tracing()
        after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        cdp.detach()
        requests = page.evaluate("() => ({ counts: window.__trace.counts, saves: window.__trace.saves })")
        OUT.mkdir(exist_ok=True)
        (OUT / f"{moment.replace(' ', '-')}-{'on' if on else 'off'}-{size}-{run}.cpuprofile").write_text(json.dumps(profile))
        by_owner, by_fn = self_times(profile)
        return {"wall": wall, "shown": {**shown, **requests}, "owner": by_owner, "fn": by_fn, "trace": trace_self_times(trace),
                "metrics": {k: after.get(k, 0) - before.get(k, 0) for k in METRICS}}

    def three_moments(self, on: bool, size: int, run: int) -> dict[str, dict[str, Any]]:
        page, llm = self.page, self.llm
        assert page is not None
        page.evaluate(REQUESTS_JS)
        name = self.write_long_chat(size)
        out = {"open": self.recorded("open", on, size, run, lambda: page.evaluate(OPEN_JS, name))}
        time.sleep(1.0)  # SillyTavern's token count dry run after a chat opens
        stpage.wait_idle(page)
        if on:
            page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=100)
        llm.settings.chunk_chars, llm.settings.chunk_delay = 16, 0.0
        before = len(llm.generation_requests())
        llm.queue(Reply([1.5, REPLY]))

        def send() -> dict[str, Any]:
            self.send("Go on.")
            llm.wait_for_requests(before + 1, timeout=60)
            return {}
        out["send"] = self.recorded("send", on, size, run, send)
        received = int(page.evaluate("() => window.__trace.received"))

        def reply_end() -> dict[str, Any]:
            page.wait_for_function("(n) => window.__trace.received > n", arg=received, timeout=60_000, polling=20)
            page.wait_for_timeout(300)
            return {}
        out["reply end"] = self.recorded("reply end", on, size, run, reply_end)
        stpage.wait_idle(page)
        if on:
            page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=100)
        out["streaming"] = self.recorded("streaming", on, size, run, self.stream_story)
        stpage.wait_idle(page)
        if on:
            page.wait_for_function("() => window.inlineImages.idle() === true", timeout=60_000, polling=100)
        return out

    def stream_story(self) -> dict[str, Any]:
        """The bench's story, streamed as there (4 tags, pictures arriving while it streams), Send to its end."""
        page, llm = self.page, self.llm
        assert page is not None
        chunks = -(-len(STORY) // CHUNK_CHARS)
        llm.settings.chunk_chars, llm.settings.chunk_delay = CHUNK_CHARS, STORY_WORDS / WORDS_PER_S / chunks
        self.images.behaviour.latency = IMAGE_LATENCY
        received = int(page.evaluate("() => window.__trace.received"))
        llm.queue(STORY)
        self.send("Go on.")
        page.wait_for_function("(n) => window.__trace.received > n", arg=received, timeout=120_000, polling=100)
        self.images.behaviour.latency = 0.05
        return {"chunks": chunks}

    def run_trace(self, runs: int) -> int:
        results: dict[tuple[str, bool, int], list[dict[str, Any]]] = defaultdict(list)
        try:
            self.st.start()
            self.images.behaviour.latency = 0.05
            with sync_playwright() as p:
                chromium = tb_browser.launch(p)
                for run in range(runs):
                    for on in ((True, False) if run % 2 == 0 else (False, True)):
                        self.open_page(chromium, on)
                        for size in self.sizes:
                            for moment, r in self.three_moments(on, size, run).items():
                                results[(moment, on, size)].append(r)
                        print(f"[bench_trace] run {run + 1} {'on ' if on else 'off'} done", flush=True)
                self.close(chromium)
        finally:
            self.stop()
        for size in self.sizes:
            for moment in MOMENTS:
                report(f"{moment}, {size}-message chat", results[(moment, True, size)], results[(moment, False, size)])
        return 0


def report(title: str, on: list[dict[str, Any]], off: list[dict[str, Any]]) -> None:
    def med(rs: list[dict[str, Any]], get: Callable[[dict[str, Any]], float]) -> float:
        return statistics.median(get(r) for r in rs)

    def row(label: str, get: Callable[[dict[str, Any]], float], fmt: Callable[[float], str]) -> None:
        print(f"  {label:<44} on {fmt(med(on, get))}  off {fmt(med(off, get))}")

    def ms(x: float) -> str:
        return f"{x * 1000:8.1f} ms"

    print(f"\n{title}: medians of {len(on)} on / {len(off)} off")
    row("wall (Python's clock, round trips included)", lambda r: r["wall"], ms)
    each = {label: ", ".join(f"{r['wall'] * 1000:.0f}" for r in rs) for label, rs in (("on", on), ("off", off))}
    print(f"  {'  each':<44} on {each['on']}  off {each['off']} ms")
    def field(group: str, key: str) -> Callable[[dict[str, Any]], float]:
        return lambda r: float(r[group].get(key, 0.0))

    for k in METRICS:
        row("renderer " + k, field("metrics", k), ms)
    for o in sorted({o for r in on + off for o in r["owner"]} - {"idle"}):
        row("profile: " + o, field("owner", o), ms)
    for k in sorted({k for r in on + off for k in r["shown"]}):
        row("page: " + k, field("shown", k), lambda x: f"{x:11.0f}")
    for label, rs in (("on", on), ("off", off)):
        events: dict[str, float] = defaultdict(float)
        for r in rs:
            for name, v in r["trace"].items():
                events[name] += v / len(rs)
        print(f"  main thread by trace event, self time, {label} (mean):")
        for v, name in sorted(((v, k) for k, v in events.items()), reverse=True)[:12]:
            print(f"    {ms(v)}  {name}")
    for label, rs in (("on", on), ("off", off)):
        total: dict[tuple[str, str, str], float] = defaultdict(float)
        for r in rs:
            for key, v in r["fn"].items():
                total[key] += v / len(rs)
        print(f"  most self time, {label} (mean):")
        for v, (owner, fn, where) in sorted(((v, k) for k, v in total.items() if k[0] != "idle"), reverse=True)[:10]:
            print(f"    {ms(v)}  {fn[:36]:<36} {where[:34]:<34} {owner}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_trace", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="phases with the extension on, and as many off (default 3)")
    parser.add_argument("--sizes", default="200,1000", help="illustrated messages of the chats (default 200,1000)")
    args = parser.parse_args(argv)
    return TraceBench(argparse.Namespace(quick=True, sizes=args.sizes, runs=args.runs)).run_trace(args.runs)


if __name__ == "__main__":
    sys.exit(main())
