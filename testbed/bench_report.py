"""The benchmark's samples and the table it prints (`testbed.bench`)."""
from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bench_page import CHUNK_CHARS, IMAGE_LATENCY, STORY, STORY_PROMPTS, STORY_WORDS, WORDS_PER_S


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
    send_counts: dict[str, list[float]] = field(default_factory=dict)
    send_save: dict[str, list[float]] = field(default_factory=dict)  # of that time, SillyTavern's chat save in flight  # token count requests between Send and the LLM request
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


def report(s: Samples, sizes: list[int], runs: int, quick: bool, version: str,
           mem_on: list[dict[str, Any]], mem_off: list[dict[str, Any]], elapsed: float) -> None:
    """Print the table: each figure, on and off, its target, and whose time it is."""
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
    chats = [("new", "new chat")] + [(f"long{n}", f"end of a {n}-message chat") for n in sizes]
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
    for n in sizes:
        on, off = s.open_long.get(f"on-{n}", []), s.open_long.get(f"off-{n}", [])
        r = ratio(on, off)
        rows.append((f"open a {n}-message chat", f"on {ms(p50(on))} / off {ms(p50(off))} = {r:.2f}", "<= 1.05",
                     verdict(r <= 1.05)))
        rows.append(("  of which ours (CHAT_CHANGED + hook)", f"{ms(p50(s.open_ours.get(f'on-{n}', [])))}", "(the extension)", ""))
    if s.gallery_open:
        rows.append((f"gallery of the longest chat ({s.gallery_total} pictures)",
                     f"open {ms(p50(s.gallery_open))}; {p50(s.gallery_loaded):.0f} thumbnails fetched 0.5 s later",
                     "only what is on screen", verdict(p50(s.gallery_loaded) < 60)))
    for where, label in [(f"long{n}", f"a {n}-message chat") for n in sizes] + [("new", "new chat")]:
        on, off = s.prompt_build.get(f"on-{where}", []), s.prompt_build.get(f"off-{where}", [])
        r = ratio(on, off)
        rows.append((f"next prompt, {label}", f"on {ms(p50(on))} / off {ms(p50(off))} = {r:.2f}", "<= 1.05",
                     verdict(r <= 1.05)))
        rows.append(("  of which ours (interceptor + listener)", f"{ms(p50(s.prompt_ours.get(f'on-{where}', [])))}", "(the extension)", ""))
        rows.append(("  each, and token counts asked", "on " + ", ".join(f"{x * 1000:.0f}" for x in on) + " / off "
                     + ", ".join(f"{x * 1000:.0f}" for x in off) + f" ms; counts on {p50(s.send_counts.get(f'on-{where}', [])):.0f}"
                     f" / off {p50(s.send_counts.get(f'off-{where}', [])):.0f}", "(SillyTavern's tokenizer requests)", ""))
        sv_on, sv_off = s.send_save.get(f"on-{where}", []), s.send_save.get(f"off-{where}", [])
        rows.append(("  of which SillyTavern's chat save", f"on {ms(p50(sv_on))} / off {ms(p50(sv_off))}; prompt building without it "
                     f"on {ms(p50([a - b for a, b in zip(on, sv_on)]))} / off {ms(p50([a - b for a, b in zip(off, sv_off)]))}",
                     "(SillyTavern: server)", ""))
    pc = {k: p50(v) for k, v in s.per_chunk.items()}

    def us(x: float) -> str:
        return f"{x * 1e6:.0f} µs"

    longest = f"long{max(sizes)}"
    r_long = pc.get(f"on-{longest}", float("nan")) / pc.get(f"off-{longest}", float("nan"))
    r_new = pc.get("on-new", float("nan")) / pc.get("off-new", float("nan"))
    rows.append((f"display/chunk, end of a {max(sizes)}-message chat", f"on {us(pc.get(f'on-{longest}', float('nan')))} / off {us(pc.get(f'off-{longest}', float('nan')))} = {r_long:.2f}",
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
    print(f"Inline Images benchmark: SillyTavern {version}, {runs} run(s) on + {runs} off interleaved"
          f"{' (quick)' if quick else ''}")
    print(f"machine: {os.cpu_count()} cores, {cpu}; load average {os.getloadavg()[0]:.2f} at the end")
    print(f"story: {STORY_WORDS} words, {len(STORY)} chars in {CHUNK_CHARS}-char chunks at {WORDS_PER_S:.0f} words/s, "
          f"{len(STORY_PROMPTS)} tags, image latency {IMAGE_LATENCY * 1000:.0f} ms; long chats of {', '.join(map(str, sizes))} illustrated "
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
