"""`python -m testbed.bench_writer`: how long the prompt writer adds, end to end.

In a real SillyTavern with the stand-ins, `separate` mode: the story reply streams; the
stand-in prompt writer answers after W seconds; the stand-in image server draws in I seconds.
For each (W, I) it prints the time from the reply's end (MESSAGE_RECEIVED, in the page) to the
first picture shown, against W + I, the part the extension cannot make shorter. The rest is
the extension's own overhead (settle delay, request, placement, write, display).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys

from . import stpage
from .llm import Reply
from .session import standin_session

STORY = ("The caravan reached the oasis at dusk, camels groaning under their loads. Palm shadows stretched long "
         "across the sand. Amira climbed the dune behind the well and watched the sun sink into a copper haze.\n\n"
         "Night came quickly in the desert. The fires were lit, and somewhere a drum began.")
ANSWER = json.dumps({"images": [{"quote": "watched the sun sink", "prompt": "a woman on a dune at sunset"}]})

WATCH_JS = """() => {
  const c = SillyTavern.getContext();
  window.__bench = { received: 0, shown: 0 };
  c.eventSource.on(c.eventTypes.MESSAGE_RECEIVED, () => { window.__bench.received = performance.now(); });
  new MutationObserver(() => {
    if (!window.__bench.shown && window.__bench.received && document.querySelector('#chat .last_mes .mes_text img[data-iig]')) {
      window.__bench.shown = performance.now();
    }
  }).observe(document.querySelector('#chat'), { childList: true, subtree: true });
}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_writer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="replies per (W, I) pair (default 3)")
    args = parser.parse_args(argv)
    with standin_session() as (st, llm, images, page):
        stpage.open_extension_drawer(page)
        page.select_option("#inline_images_promptMode", "separate")
        print(f"{'writer W':>9} {'image I':>8} {'W + I':>7} {'reply end → picture':>20} {'overhead':>9}")
        for writer_s, image_s in ((0.5, 0.5), (1.0, 2.0), (2.0, 1.0)):
            images.behaviour.latency = image_s
            spans = []
            for _ in range(args.runs):
                stpage.new_chat(page)
                page.evaluate(WATCH_JS)
                llm.queue(STORY, Reply([writer_s, ANSWER]))
                stpage.send(page, "Go on.")
                page.wait_for_function("() => window.__bench.shown > 0", timeout=60_000)
                spans.append(float(page.evaluate("() => window.__bench.shown - window.__bench.received")) / 1000)
                page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=60_000)
            median = statistics.median(spans)
            floor = writer_s + image_s
            print(f"{writer_s:>8.1f}s {image_s:>7.1f}s {floor:>6.1f}s {median:>19.2f}s {median - floor:>+8.2f}s"
                  f"   (median of {len(spans)}: {', '.join(f'{s:.2f}' for s in spans)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
