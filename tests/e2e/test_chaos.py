"""A seeded random walk over user actions in a real SillyTavern, checked against the saved chats.

Send, stop mid-stream, swipe, regenerate, continue, edit, delete, switch chats and come
back, toggle streaming: at least 40 actions over at least three minutes, with a fifth of
the pictures failing and each taking 0.2-4 s. At the end every chat is opened and its file
read: no user or reply text lost, every picture of ours right after the tag of its own
prompt, no tag with two pictures, every tag of a finished reply illustrated or visibly
failed, no error from the extension, nothing of it left running.

Environment:
  CHAOS_SEED          the walk's seed (printed at the start and in every failure)
  CHAOS_ACTIONS       at least this many actions (default 40)
  CHAOS_MIN_SECONDS   and go on until this long (default 180)
  CHAOS_MAX_SECONDS   but stop the walk after this long (default 210)
  CHAOS_LEAVE_MS      how long after a reply `send-and-leave` switches chats, a list
                      (default 0,30,50,120,300; below ~250 ms SillyTavern itself can lose
                      the reply, see chaos.Chaos.act_send_and_leave)
  CHAOS_CONTROL=1     a control run with the extension turned off: only the text and page
                      error checks, to tell SillyTavern's own losses from the extension's
A failing seed replays with the same seed and, to stop at the same point,
CHAOS_ACTIONS=<actions it ran> CHAOS_MIN_SECONDS=0 (the failure message prints the line).
"""
from __future__ import annotations

import os
import re
from typing import Any

import pytest
from playwright.sync_api import Page

from testbed.images import StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import REPO_ROOT, SillyTavern

from .chaos import Chaos, Msg, Writer, compare_chat, read_pictures

DEFAULT_SEED = 20260101
CONTROL = os.environ.get("CHAOS_CONTROL") == "1"


@pytest.fixture
def stored_extension_settings() -> Any:
    """The extension at its defaults, or turned off for a control run."""
    return {"enabled": False} if CONTROL else None


def env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def test_random_user_actions_lose_nothing_and_leave_every_picture_in_place(
        request: pytest.FixtureRequest, page: Page, sillytavern: SillyTavern, llm: StandInLLM,
        images: StandInImageServer, console: list[str]) -> None:
    seed = int(env_number("CHAOS_SEED", DEFAULT_SEED))
    actions = int(env_number("CHAOS_ACTIONS", 40))
    min_seconds = env_number("CHAOS_MIN_SECONDS", 180)
    max_seconds = env_number("CHAOS_MAX_SECONDS", 210)
    print(f"[chaos] CHAOS_SEED={seed} actions>={actions} seconds>={min_seconds:.0f} (walk stops at {max_seconds:.0f})"
          f"{' CONTROL RUN, extension off' if CONTROL else ''}", flush=True)
    # Replies stream at about 400 characters a second, so a stop can land mid-reply.
    llm.settings.chunk_chars = 12
    llm.settings.chunk_delay = 0.03
    images.randomise(seed, fail_rate=0.2, latency_range=(0.2, 4.0))

    chaos = Chaos(seed, page, sillytavern, llm, images, console)
    chaos.walk(actions, min_seconds, max_seconds)
    chaos.finish(pictures=not CONTROL)
    chaos.check_errors()

    if chaos.findings:
        out = REPO_ROOT / "test-artifacts" / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        out.mkdir(parents=True, exist_ok=True)
        (out / "chaos-report.txt").write_text(chaos.report())
        sillytavern.copy_out(out / "data")  # the chats and pictures as saved
        pytest.fail(chaos.report(), pytrace=False)


# -- the checks themselves: they must catch what they claim to catch ---------------------------

def pic(prompt: str, src: str = "/user/images/a.png") -> str:
    return f'<img data-iig="1" src="{src}" title="{prompt}" alt="{prompt}">'


def test_the_picture_check_accepts_a_picture_after_its_tag_and_nothing_else() -> None:
    tags, problems = read_pictures('One <img-prompt="fox">' + pic("fox") + ' two <img-prompt="owl">\n' + pic("owl", "/b.png"))
    assert problems == [] and [t.image for t in tags] == [("/user/images/a.png", "fox"), ("/b.png", "owl")]
    for text, complaint in [
        ('<img-prompt="fox">' + pic("fox") + pic("fox", "/b.png"), "two pictures"),
        ('<img-prompt="fox">' + pic("owl"), "after the tag of"),
        ('<img-prompt="fox">\n\n' + pic("fox"), "not right after a tag"),
        ('<img-prompt="fox"> words ' + pic("fox"), "not right after a tag"),
        ("no tag " + pic("fox"), "not right after a tag"),
        ('<img-prompt="fox"><img src="x" data-iig="1">', "not our picture form"),
    ]:
        problems = read_pictures(text)[1]
        assert len(problems) == 1 and complaint in problems[0], (text, problems)


def test_the_text_check_names_one_lost_message_once_and_ignores_our_pictures() -> None:
    model = [Msg(False, ["Hello."]), Msg(True, ["Tell me."]), Msg(False, ['A <img-prompt="x"> story.']),
             Msg(True, ["More."]), Msg(False, ["The end."])]
    page: list[dict[str, Any]] = [
        {"mes": "Hello."}, {"mes": "Tell me.", "is_user": True},
        {"mes": 'A <img-prompt="x">' + pic("x") + "  story. ", "swipes": ['A <img-prompt="x"> story.'], "swipe_id": 0},
        {"mes": "More.", "is_user": True}, {"mes": "The end."}]
    assert compare_chat(model, page, "chat") == []
    lost = compare_chat(model, page[:2] + page[3:], "chat")
    assert [(kind, where) for kind, where, _ in lost] == [("reply text lost", "chat message 2")]
    edited = compare_chat(model, page[:4] + [{"mes": "The end, changed."}], "chat")
    assert [kind for kind, _, _ in edited] == ["reply text lost"] and "first difference" in edited[0][2]


def test_the_same_seed_writes_the_same_texts_with_unique_prompts() -> None:
    import random
    a, b = Writer(random.Random(5)), Writer(random.Random(5))
    texts = [a.reply() for _ in range(20)]
    assert texts == [b.reply() for _ in range(20)]
    prompts = [p for t in texts for p in re.findall(r'<img-prompt="([^"]*)">', t)]
    assert len(prompts) == len(set(prompts)) >= 40
    assert all(100 <= len(t.split()) <= 340 for t in texts)
