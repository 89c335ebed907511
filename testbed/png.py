"""Draw the stand-in image server's picture for a prompt: a simple scene painted from the
prompt's words, so the demo feels like the real thing, and marked so nobody mistakes it for
a model's output.

- The same prompt always gives the same picture (every choice is seeded by the prompt), and
  different prompts give different ones.
- Time-of-day words set the sky (dawn, day, sunset, night), setting words the ground (forest,
  sea, snow, city, castle, desert, meadow), and a few shapes stand for things named (a tower,
  trees, a moon, a sun, mountains, a house, a boat, a figure).
- A small caption shows the prompt; a corner mark says "stand-in image"; a PNG text chunk
  says so too.
- The top-left square has the prompt's own colour (`prompt_colour`), which the tests read to
  tell which prompt a saved picture was drawn for.
"""
from __future__ import annotations

import hashlib
import io
import random
import re
import textwrap

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

MARK = "stand-in image"
IDENTITY_SIZE = 20  # the top-left square in the prompt's colour; (10, 10) lies inside it

Colour = tuple[int, int, int]


def prompt_colour(prompt: str) -> Colour:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    # Mid-dark, so white marks stay readable on it.
    return (40 + digest[0] % 120, 40 + digest[1] % 120, 40 + digest[2] % 120)


def _words(prompt: str) -> set[str]:
    return set(re.findall(r"[a-z]+", prompt.lower()))


def _has(words: set[str], *names: str) -> bool:
    return any(n in words or n + "s" in words for n in names)


SKIES: dict[str, tuple[Colour, Colour]] = {
    "night": ((10, 14, 40), (40, 50, 95)),
    "dawn": ((250, 170, 150), (255, 220, 170)),
    "sunset": ((90, 40, 110), (250, 130, 60)),
    "day": ((90, 160, 235), (190, 225, 250)),
}
GROUNDS: dict[str, Colour] = {
    "forest": (40, 95, 45), "sea": (30, 90, 150), "snow": (235, 240, 248), "city": (95, 95, 105),
    "castle": (110, 120, 80), "desert": (220, 180, 110), "meadow": (95, 150, 70),
}


def sky_of(words: set[str]) -> str:
    if _has(words, "night", "midnight", "moonlit", "moon", "star", "starry", "dark"):
        return "night"
    if _has(words, "dawn", "sunrise", "morning"):
        return "dawn"
    if _has(words, "sunset", "dusk", "evening", "twilight"):
        return "sunset"
    return "day"


def ground_of(words: set[str]) -> str:
    for ground, names in (("snow", ("snow", "snowy", "winter", "ice", "frozen")),
                          ("sea", ("sea", "ocean", "harbour", "harbor", "beach", "lake", "river", "shore", "pier", "waves")),
                          ("desert", ("desert", "dune", "sand")),
                          ("forest", ("forest", "wood", "woods", "grove", "jungle", "pine")),
                          ("castle", ("castle", "keep", "fortress", "palace")),
                          ("city", ("city", "street", "town", "market", "alley", "village"))):
        if _has(words, *names):
            return ground
    return "meadow"


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _shade(c: Colour, k: float) -> Colour:
    return (min(255, round(c[0] * k)), min(255, round(c[1] * k)), min(255, round(c[2] * k)))


def draw_prompt_png(prompt: str, width: int = 512, height: int = 320) -> bytes:
    """The stand-in's picture for `prompt` (PNG bytes), the same for the same prompt."""
    rng = random.Random(hashlib.sha256(prompt.encode("utf-8")).digest())
    words = _words(prompt)
    sky, ground = sky_of(words), ground_of(words)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.55, 0.68))

    top, bottom = SKIES[sky]
    for y in range(horizon):
        draw.line([(0, y), (width, y)], fill=_mix(top, bottom, y / max(1, horizon)))
    if sky == "night":
        for _ in range(40):
            x, y = rng.randrange(width), rng.randrange(horizon)
            draw.point((x, y), fill=(255, 255, 230))
    if sky == "night" or _has(words, "moon"):
        x, y, r = rng.randrange(60, width - 60), rng.randrange(25, max(30, horizon // 2)), 18
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(245, 240, 200))
    elif _has(words, "sun", "sunny", "sunlight") or sky in ("dawn", "sunset"):
        x, y, r = rng.randrange(60, width - 60), horizon - rng.randrange(10, 60), 26
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 210, 90))
    if _has(words, "mountain", "hill", "peak", "cliff", "ridge"):
        for _ in range(3):
            cx, w, h = rng.randrange(width), rng.randrange(120, 260), rng.randrange(50, 120)
            draw.polygon([(cx - w // 2, horizon), (cx, horizon - h), (cx + w // 2, horizon)], fill=_shade(bottom, 0.55))

    base = GROUNDS[ground]
    for y in range(horizon, height):
        draw.line([(0, y), (width, y)], fill=_shade(base, 1.0 - 0.35 * (y - horizon) / max(1, height - horizon)))
    if ground == "sea":
        for _ in range(14):
            x, y = rng.randrange(width), rng.randrange(horizon + 6, max(horizon + 7, height - 50))  # above the caption
            draw.arc([x, y, x + 30, y + 10], 200, 340, fill=(200, 225, 250), width=2)
    if ground == "desert":
        for _ in range(3):
            cx, w = rng.randrange(width), rng.randrange(160, 320)
            draw.chord([cx - w // 2, horizon - 12, cx + w // 2, horizon + 40], 180, 360, fill=_shade(base, 1.1))
    if ground == "city":
        x = 0
        while x < width:
            w, h = rng.randrange(30, 70), rng.randrange(40, 130)
            draw.rectangle([x, horizon - h, x + w - 4, horizon], fill=_shade(base, 0.7))
            for wy in range(horizon - h + 8, horizon - 6, 14):
                for wx in range(x + 6, x + w - 10, 12):
                    if rng.random() < 0.5:
                        draw.rectangle([wx, wy, wx + 4, wy + 6], fill=(250, 220, 120))
            x += w
    if ground == "castle" or _has(words, "castle"):
        cx = rng.randrange(120, width - 120)
        wall = _shade(GROUNDS["city"], 0.8)
        draw.rectangle([cx - 80, horizon - 60, cx + 80, horizon], fill=wall)
        for tx in (cx - 90, cx + 60):
            draw.rectangle([tx, horizon - 100, tx + 30, horizon], fill=wall)
            draw.polygon([(tx - 4, horizon - 100), (tx + 15, horizon - 125), (tx + 34, horizon - 100)], fill=(120, 40, 40))
    if _has(words, "tower", "lighthouse", "spire", "belfry"):
        tx = rng.randrange(40, width - 60)
        draw.rectangle([tx, horizon - 130, tx + 26, horizon], fill=(225, 225, 215))
        draw.rectangle([tx - 4, horizon - 142, tx + 30, horizon - 128], fill=(200, 60, 50))
        if _has(words, "lighthouse", "lamp", "light"):
            draw.polygon([(tx + 13, horizon - 136), (tx + 200, horizon - 170), (tx + 200, horizon - 110)], fill=(255, 245, 170))
    if ground == "forest" or _has(words, "tree", "pine", "oak", "orchard"):
        for _ in range(rng.randrange(5, 11)):
            x, h = rng.randrange(width), rng.randrange(40, 90)
            y = horizon + rng.randrange(0, 25)
            draw.rectangle([x - 3, y - 12, x + 3, y], fill=(90, 60, 35))
            draw.polygon([(x - 18, y - 10), (x, y - h), (x + 18, y - 10)], fill=_shade(GROUNDS["forest"], rng.uniform(0.7, 1.2)))
    if _has(words, "house", "cottage", "inn", "tavern", "cabin", "hut", "chapel"):
        hx = rng.randrange(40, width - 100)
        draw.rectangle([hx, horizon - 40, hx + 60, horizon + 10], fill=(170, 120, 80))
        draw.polygon([(hx - 8, horizon - 40), (hx + 30, horizon - 70), (hx + 68, horizon - 40)], fill=(120, 50, 40))
        draw.rectangle([hx + 24, horizon - 10, hx + 36, horizon + 10], fill=(70, 40, 25))
    if _has(words, "boat", "ship", "sail", "sailboat", "rowing"):
        bx, by = rng.randrange(40, width - 110), horizon + rng.randrange(10, 40)
        draw.polygon([(bx, by), (bx + 80, by), (bx + 66, by + 16), (bx + 12, by + 16)], fill=(110, 70, 40))
        draw.polygon([(bx + 40, by - 50), (bx + 40, by - 2), (bx + 72, by - 4)], fill=(240, 240, 230))
    if _has(words, "woman", "man", "girl", "boy", "person", "figure", "knight", "traveller", "traveler", "she", "he",
            "child", "king", "queen", "wizard", "warrior", "keeper", "rider", "hand", "hands"):
        fx, fy = rng.randrange(60, width - 60), height - rng.randrange(30, 70)
        body = (40, 35, 45) if sky == "night" else (60, 50, 70)
        draw.ellipse([fx - 9, fy - 62, fx + 9, fy - 44], fill=body)
        draw.polygon([(fx - 16, fy), (fx, fy - 46), (fx + 16, fy)], fill=body)

    # The prompt's identity colour, the mark and the caption, always readable.
    draw.rectangle([0, 0, IDENTITY_SIZE - 1, IDENTITY_SIZE - 1], fill=prompt_colour(prompt))
    small = ImageFont.load_default(size=13)
    mark_w = int(draw.textlength(MARK, font=small)) + 12
    draw.rectangle([width - mark_w - 4, 4, width - 4, 24], fill=(0, 0, 0), outline=(255, 255, 255))
    draw.text((width - mark_w + 2, 7), MARK, fill=(255, 255, 255), font=small)
    lines = textwrap.wrap(prompt, width=70)[:2] or ["(empty prompt)"]
    band = 8 + 17 * len(lines)
    overlay = Image.new("RGBA", (width, band), (0, 0, 0, 150))
    image.paste(overlay, (0, height - band), overlay)
    for i, line in enumerate(lines):
        draw.text((10, height - band + 4 + 17 * i), line, fill=(255, 255, 255), font=small)
    draw.rectangle([(0, 0), (width - 1, height - 1)], outline=(255, 255, 255), width=2)
    # The frame must not cover the identity square's centre.
    draw.rectangle([2, 2, IDENTITY_SIZE - 1, IDENTITY_SIZE - 1], fill=prompt_colour(prompt))

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", f"{MARK}: {prompt}"[:2000])
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()
