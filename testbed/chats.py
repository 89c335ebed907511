"""Illustrated chats written straight into SillyTavern's data folder, as SillyTavern saves
them: long chats for the benchmark and the export tests, without drawing a picture."""
from __future__ import annotations

import json
import random
from pathlib import Path

from testbed.sillytavern import SillyTavern

_WORDS = ("the caravan crossed the dunes at dusk while the wind carried sand over the old stones "
          "and the travellers spoke quietly of the oasis they hoped to reach before the night").split()


def prose(rng: random.Random, words: int) -> str:
    """Sentences of about `words` words, the same for the same generator state."""
    out: list[str] = []
    while len(out) < words:
        sentence = [rng.choice(_WORDS) for _ in range(rng.randint(8, 14))]
        sentence[0] = sentence[0].capitalize()
        out.extend(sentence)
        out[-1] += "."
    return " ".join(out)


def write_illustrated_chat(st: SillyTavern, avatar: str, character: str, name: str, replies: int,
                           pictures_per_reply: int, png: bytes, seed: int = 7, files: str = "") -> list[str]:
    """A chat of `replies` user messages each answered by the character with
    `pictures_per_reply` pictures, saved as `<name>.jsonl` for the card `avatar`. The pictures
    are one reused file, or with `files` a file each (`<files>_<reply>_<picture>.png`, as a
    chat drawn for real has). Returns the character's messages' texts, in order."""
    folder = st.user_dir / "user" / "images" / character
    folder.mkdir(parents=True, exist_ok=True)

    def picture(i: int, k: int) -> str:
        file: Path = folder / (f"{files}_{i}_{k}.png" if files else "illustrated_chat_picture.png")
        if not file.exists():
            file.write_bytes(png)
        return f"/user/images/{character}/{file.name}"
    chats = st.user_dir / "chats" / avatar.removesuffix(".png")  # chats go by the card's file
    chats.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    date = "December 1, 2026 5:00pm"
    lines = [json.dumps({"user_name": "User", "character_name": character, "create_date": "2026-12-01@17h00m00s",
                         "chat_metadata": {}})]
    texts: list[str] = []
    for i in range(replies):
        lines.append(json.dumps({"name": "User", "is_user": True, "is_system": False, "send_date": date,
                                 "mes": f"Go on ({i}).", "extra": {}}))
        parts = []
        for k in range(pictures_per_reply):
            prompt = f"an oasis scene number {i} view {k}"
            parts.append(f'{prose(rng, 45)} <img-prompt="{prompt}"><img data-iig="1" src="{picture(i, k)}" '
                         f'title="{prompt}" alt="{prompt}">')
        parts.append(prose(rng, 20))
        mes = "\n\n".join(parts)
        texts.append(mes)
        lines.append(json.dumps({"name": character, "is_user": False, "is_system": False, "send_date": date,
                                 "mes": mes, "extra": {}, "swipe_id": 0, "swipes": [mes],
                                 "swipe_info": [{"send_date": date, "extra": {}}]}))
    (chats / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return texts
