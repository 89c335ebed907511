"""Draw a distinct, legible PNG for an image prompt (what the stand-in image server returns)."""
from __future__ import annotations

import hashlib
import io
import textwrap

from PIL import Image, ImageDraw, ImageFont


def prompt_colour(prompt: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    # Keep the background mid-dark so white text stays readable on every prompt.
    return (40 + digest[0] % 120, 40 + digest[1] % 120, 40 + digest[2] % 120)


def draw_prompt_png(prompt: str, width: int = 512, height: int = 320) -> bytes:
    """A picture whose colour follows the prompt's hash and whose text is the prompt itself."""
    image = Image.new("RGB", (width, height), prompt_colour(prompt))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=22)
    lines = textwrap.wrap(prompt, width=38)[:9] or ["(empty prompt)"]
    y = 20
    for line in lines:
        draw.text((20, y), line, fill=(255, 255, 255), font=font)
        y += 30
    draw.rectangle([(0, 0), (width - 1, height - 1)], outline=(255, 255, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
