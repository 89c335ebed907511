"""The demo's stand-in author: a few hundred words around the user's message.

It writes `<img-prompt="...">` tags only when the request carries image-prompt instructions
(so the demo shows what the extension's meta-prompt does), every N words as they ask.
"""
from __future__ import annotations

import json
import random
import re
from typing import Any

_OPENINGS = [
    "The wind shifted as {topic} came into view.",
    "Nobody spoke for a long moment after {topic}.",
    "It began, as these things often do, with {topic}.",
    "Lanterns flickered along the path while {topic} unfolded.",
]
_MIDDLES = [
    "Footsteps echoed against old stone, and somewhere a bell counted the hour.",
    "The air smelled of rain and cedar smoke, and the light turned amber at the edges.",
    "A crow settled on the fence post, tilting its head as if it understood every word.",
    "Far below, the river caught the last of the sun and carried it toward the sea.",
    "She pulled her cloak tighter and studied the map again, tracing the faded ink.",
    "He laughed, though there was little humour in it, and reached for the door.",
    "The market stalls were closing, their awnings snapping in the evening breeze.",
    "Snow began to fall, slow and heavy, softening every sound in the valley.",
    "A lamp burned in the highest window of the tower, steady as a promise.",
    "Old roots twisted across the trail, slick with moss and fallen needles.",
]
_SCENES = [
    "a lone traveller on a misty mountain path at dawn, cloak billowing, soft golden light, painterly",
    "a cosy tavern interior with a crackling fireplace, wooden beams, warm lantern light, detailed illustration",
    "a red fox trotting through snowy pines at dusk, blue shadows, gentle snowfall",
    "a stone tower above a moonlit lake, a single lit window, stars reflected in the water",
    "a bustling evening market with colourful awnings and paper lanterns, wide shot",
    "an ancient forest trail with mossy roots and shafts of green light, quiet atmosphere",
]


def instructions(messages: list[dict[str, Any]]) -> tuple[bool, int]:
    """Whether the prompt asks for image tags, and the word interval it asks for."""
    text = " ".join(_content_text(m.get("content")) for m in messages if m.get("role") == "system")
    if "img-prompt" not in text:
        return False, 0
    match = re.search(r"(\d{2,5})\s*words", text)
    return True, int(match.group(1)) if match else 250


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content_text(message.get("content")).strip()
    return ""


def write_story(user_text: str, with_tags: bool, every_words: int, total_words: int = 320) -> str:
    rng = random.Random(user_text)
    topic = re.sub(r"\s+", " ", user_text)[:80].strip(" .!?") or "the journey"
    sentences = [rng.choice(_OPENINGS).format(topic=topic)]
    words = len(sentences[0].split())
    since_tag = words
    scenes = _SCENES[:]
    rng.shuffle(scenes)
    out: list[str] = [sentences[0]]
    if with_tags:
        out.append(f'<img-prompt="{scenes.pop()}">')
        since_tag = 0
    while words < total_words:
        sentence = rng.choice(_MIDDLES)
        out.append(sentence)
        n = len(sentence.split())
        words += n
        since_tag += n
        if with_tags and since_tag >= every_words and scenes:
            out.append(f'<img-prompt="{scenes.pop()}">')
            since_tag = 0
    # Paragraph breaks every few sentences so the reply reads like prose.
    paragraphs: list[str] = []
    for i in range(0, len(out), 4):
        paragraphs.append(" ".join(out[i:i + 4]))
    return "\n\n".join(paragraphs)


WRITER_MARK = "[Image prompt writer]"  # src/core/writer-prompt.js marks its requests with it


def is_writer_request(messages: list[dict[str, Any]]) -> bool:
    return any(WRITER_MARK in _content_text(m.get("content")) for m in messages)


def write_prompts(messages: list[dict[str, Any]]) -> str:
    """The stand-in prompt writer: for up to the number asked, a sentence of the passage spread
    through it, quoted by its first words, with a prompt made from its words."""
    text = "\n".join(_content_text(m.get("content")) for m in messages)
    asked = re.search(r"choose up to (\d+) moments", text)
    count = int(asked.group(1)) if asked else 2
    passage = text.split("The passage to illustrate:\n", 1)[-1]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", passage) if len(s.strip().split()) >= 4]
    if not sentences:
        return json.dumps({"images": []})
    step = max(1, len(sentences) // max(1, count))
    chosen = sentences[::step][:count]
    images = [{"quote": " ".join(s.split()[:5]),
               "prompt": "writer: " + re.sub(r"[^\w\s,']", "", s).strip().lower()[:120]} for s in chosen]
    return json.dumps({"images": images})
