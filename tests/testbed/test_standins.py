"""The stand-in backends behave like the real APIs the tests rely on them to imitate."""
from __future__ import annotations

import base64
import io
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from PIL import Image

from testbed.images import StandInImageServer
from testbed.llm import Reply, StandInLLM, StreamError
from testbed.storyteller import write_story
from testbed.sillytavern import Backends, SillyTavern


def post(url: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def sse_payloads(raw: bytes) -> list[str]:
    return [line[6:] for line in raw.decode().splitlines() if line.startswith("data: ")]


def test_models_lists_the_stand_in(llm: StandInLLM) -> None:
    with urllib.request.urlopen(llm.url + "/models") as response:
        data = json.load(response)
    assert data["data"][0]["id"] == "stand-in-storyteller"


def test_chat_completion_returns_the_scripted_reply_unstreamed(llm: StandInLLM) -> None:
    llm.queue("Once upon a time.")
    status, raw = post(llm.url + "/chat/completions", {"messages": [{"role": "user", "content": "hi"}]})
    assert status == 200
    assert json.loads(raw)["choices"][0]["message"]["content"] == "Once upon a time."
    assert llm.generation_requests()[0].messages == [{"role": "user", "content": "hi"}]


def test_chat_completion_streams_the_reply_in_chunks(llm: StandInLLM) -> None:
    text = "A long reply that arrives in many small pieces."
    llm.queue(text)
    status, raw = post(llm.url + "/chat/completions", {"stream": True, "messages": []})
    payloads = sse_payloads(raw)
    assert status == 200 and payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks]
    assert len(pieces) > 3 and "".join(pieces) == text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert llm.generation_requests()[0].completed


def test_text_completion_streamed_and_not(llm: StandInLLM) -> None:
    llm.queue("plain reply", "streamed reply")
    status, raw = post(llm.origin + "/v1/completions", {"prompt": "Story:"})
    assert status == 200 and json.loads(raw)["choices"][0]["text"] == "plain reply"
    status, raw = post(llm.origin + "/v1/completions", {"prompt": "Story:", "stream": True})
    pieces = [json.loads(p)["choices"][0]["text"] for p in sse_payloads(raw)[:-1]]
    assert "".join(pieces) == "streamed reply"
    assert [r.prompt for r in llm.generation_requests()] == ["Story:", "Story:"]


def test_storyteller_writes_tags_only_when_the_prompt_asks() -> None:
    plain = write_story("the lighthouse", with_tags=False, every_words=100)
    tagged = write_story("the lighthouse", with_tags=True, every_words=100)
    assert "<img-prompt" not in plain
    assert tagged.count('<img-prompt="') >= 3
    assert 250 <= len(plain.split()) <= 400


def test_storyteller_follows_the_instructions_in_the_request(llm: StandInLLM) -> None:
    messages = [{"role": "user", "content": "a storm at sea"},
                {"role": "system", "content": 'Write <img-prompt="..."> about every 80 words.'}]
    status, raw = post(llm.url + "/chat/completions", {"messages": messages})
    assert json.loads(raw)["choices"][0]["message"]["content"].count("<img-prompt=") >= 3
    status, raw = post(llm.url + "/chat/completions", {"messages": messages[:1]})
    assert "<img-prompt" not in json.loads(raw)["choices"][0]["message"]["content"]


def test_stream_pauses_at_a_gate_until_opened(llm: StandInLLM) -> None:
    import threading
    gate_reply = Reply(["before ", (gate := __import__("testbed.gate", fromlist=["Gate"]).Gate()), "after"])
    llm.queue(gate_reply)
    result: dict[str, bytes] = {}
    thread = threading.Thread(target=lambda: result.update(raw=post(llm.url + "/chat/completions",
                                                                      {"stream": True, "messages": []})[1]))
    thread.start()
    assert gate.reached.wait(5)
    assert thread.is_alive()  # held at the gate
    gate.open()
    thread.join(5)
    pieces = [json.loads(p)["choices"][0]["delta"].get("content", "") for p in sse_payloads(result["raw"])[:-1]]
    assert "".join(pieces) == "before after"


def test_a_reply_can_fail_mid_stream_or_outright(llm: StandInLLM) -> None:
    llm.queue(Reply(["half a ", StreamError("upstream died"), "never sent"]),
              Reply(["whole", StreamError("upstream died")]))
    status, raw = post(llm.url + "/chat/completions", {"stream": True, "messages": []})
    payloads = [json.loads(p) for p in sse_payloads(raw)]
    assert "".join(p["choices"][0]["delta"].get("content", "") for p in payloads[:-1]) == "half a "
    assert payloads[-1] == {"error": {"message": "upstream died"}}
    assert b"[DONE]" not in raw
    status, raw = post(llm.url + "/chat/completions", {"messages": []})
    assert status == 502 and json.loads(raw)["error"]["message"] == "upstream died"


def txt2img(images: StandInImageServer, prompt: str, timeout: float = 10) -> tuple[int, bytes]:
    return post(images.url + "/sdapi/v1/txt2img", {"prompt": prompt, "width": 512}, timeout=timeout)


def test_images_are_real_pngs_distinct_per_prompt(images: StandInImageServer) -> None:
    pictures = []
    for prompt in ["a red fox", "a blue whale"]:
        status, raw = txt2img(images, prompt)
        assert status == 200
        png = base64.b64decode(json.loads(raw)["images"][0])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        pictures.append(Image.open(io.BytesIO(png)).convert("RGB"))
    assert pictures[0].getpixel((5, 5)) != pictures[1].getpixel((5, 5))
    assert images.prompts() == ["a red fox", "a blue whale"]


def test_probe_endpoints_answer_like_a1111(images: StandInImageServer) -> None:
    for path in ["options", "sd-models", "samplers", "schedulers", "upscalers", "sd-vae"]:
        with urllib.request.urlopen(f"{images.url}/sdapi/v1/{path}") as response:
            assert response.status == 200


def test_first_attempts_fail_then_succeed(images: StandInImageServer) -> None:
    images.behaviour.fail_first = 2
    images.behaviour.fail_status = 503
    assert [txt2img(images, "x")[0] for _ in range(3)] == [503, 503, 200]
    assert [r.outcome for r in images.requests] == ["http_error", "http_error", "ok"]


def test_failure_for_matching_prompts_and_hang_until_timeout(images: StandInImageServer) -> None:
    images.behaviour.fail_prompts_containing = "cursed"
    assert txt2img(images, "a cursed idol")[0] == 500
    assert txt2img(images, "a blessed idol")[0] == 200
    images.behaviour.hang = True
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        txt2img(images, "never", timeout=0.5)


def test_concurrency_is_measured(images: StandInImageServer) -> None:
    import concurrent.futures
    images.behaviour.latency = 0.3
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda p: txt2img(images, p), ["a", "b", "c"]))
    assert images.max_in_flight == 3


def test_seeded_settings_point_sillytavern_at_the_stand_ins(tmp_path: Any) -> None:
    st = SillyTavern(Backends("http://127.0.0.1:1/v1", "http://127.0.0.1:2"), streaming=False, data_root=tmp_path)
    from testbed.sillytavern import install
    st._prepare(install())  # noqa: SLF001 - writing the files is the unit under test
    settings = json.loads((tmp_path / "default-user" / "settings.json").read_text())
    assert settings["firstRun"] is False
    assert settings["oai_settings"]["custom_url"] == "http://127.0.0.1:1/v1"
    assert settings["oai_settings"]["stream_openai"] is False
    assert settings["extension_settings"]["sd"]["auto_url"] == "http://127.0.0.1:2"
    config = (tmp_path / "config.yaml").read_text()
    assert "whitelistMode: true" in config and "listen: false" in config


def test_a_kept_data_root_follows_this_runs_backends_and_keeps_the_rest(tmp_path: Any) -> None:
    from testbed.sillytavern import install
    package = install()
    first = SillyTavern(Backends("http://127.0.0.1:1/v1", "http://127.0.0.1:2"), data_root=tmp_path)
    first._prepare(package)  # noqa: SLF001 - writing the files is the unit under test
    path = tmp_path / "default-user" / "settings.json"
    saved = json.loads(path.read_text())
    saved["power_user"]["chat_width"] = 61  # something the user changed in SillyTavern
    path.write_text(json.dumps(saved))
    again = SillyTavern(Backends("http://127.0.0.1:3/v1", "http://127.0.0.1:4", image_source="comfy",
                                 llm_key="sk-demo"), data_root=tmp_path)
    again._prepare(package)  # noqa: SLF001
    settings = json.loads(path.read_text())
    assert settings["power_user"]["chat_width"] == 61
    assert settings["oai_settings"]["custom_url"] == "http://127.0.0.1:3/v1"
    sd = settings["extension_settings"]["sd"]
    assert (sd["source"], sd["comfy_url"]) == ("comfy", "http://127.0.0.1:4")
    secrets = json.loads((tmp_path / "default-user" / "secrets.json").read_text())
    assert secrets == {"api_key_custom": "sk-demo", "api_key_generic": "sk-demo"}


def statuses(images: StandInImageServer, prompts: list[str]) -> dict[str, int]:
    return {p: txt2img(images, p)[0] for p in prompts}


def test_seeded_failures_hit_the_same_prompts_in_any_order(images: StandInImageServer) -> None:
    prompts = [f"chaos prompt {i}" for i in range(40)]
    images.randomise(seed=11, fail_rate=0.3)
    first = statuses(images, prompts)
    assert set(first.values()) == {200, 500}
    assert 4 <= list(first.values()).count(500) <= 20, first  # about 30 % of 40
    assert [r.outcome for r in images.requests] == ["ok" if first[p] == 200 else "http_error" for p in prompts]
    images.reset()
    images.randomise(seed=11, fail_rate=0.3)
    assert statuses(images, prompts[::-1]) == first
    images.reset()
    images.randomise(seed=12, fail_rate=0.3)
    assert statuses(images, prompts) != first


def test_a_prompt_asked_again_gets_a_fresh_draw(images: StandInImageServer) -> None:
    # A retry of a failed prompt must be able to succeed, or retries could never be tested.
    images.randomise(seed=3, fail_rate=0.5)
    outcomes = {txt2img(images, "the same prompt")[0] for _ in range(16)}
    assert outcomes == {200, 500}


def test_seeded_latency_stays_in_its_range(images: StandInImageServer) -> None:
    import concurrent.futures
    images.randomise(seed=5, latency_range=(0.2, 0.6))
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda p: txt2img(images, p), [f"slow {i}" for i in range(6)]))
    delays = [r.delay for r in images.requests]
    assert all(0.2 <= d <= 0.6 for d in delays), delays
    assert len(set(delays)) == 6
    for r in images.requests:
        assert r.finished is not None and r.finished - r.started >= r.delay - 0.01
    images.reset()
    images.randomise(seed=5, latency_range=(0.2, 0.6))
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda p: txt2img(images, p), [f"slow {i}" for i in range(6)]))
    assert sorted(r.delay for r in images.requests) == sorted(delays)


def test_randomise_refuses_nonsense() -> None:
    server = StandInImageServer()  # not started: randomise only checks and stores
    with pytest.raises(ValueError):
        server.randomise(1, fail_rate=1.5)
    with pytest.raises(ValueError):
        server.randomise(1, latency_range=(2.0, 1.0))


def test_together_answers_a_batch_at_the_same_moment(images: StandInImageServer) -> None:
    import concurrent.futures
    images.behaviour.together = 3
    received: dict[str, float] = {}

    def ask(prompt: str) -> int:
        status, _ = txt2img(images, prompt)
        received[prompt] = time.monotonic()
        return status

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        early = [pool.submit(ask, p) for p in ["one", "two"]]
        images.wait_for_requests(2, timeout=5)
        time.sleep(0.3)
        assert not any(f.done() for f in early), "held until the third arrives"
        assert all(r.finished is None for r in images.requests)
        last = pool.submit(ask, "three")
        assert [f.result(5) for f in [*early, last]] == [200, 200, 200]
    answered = [r.answered for r in images.requests if r.answered is not None]
    assert len(answered) == 3
    # Released together, long before the third: answered as one batch (the spread is the
    # server writing three responses in a row, a few ms on a loaded machine), not 0.3 s apart.
    assert max(answered) - min(answered) < 0.1, answered
    assert max(received.values()) - min(received.values()) < 0.1, received


def test_together_forms_the_next_batch_after_a_release(images: StandInImageServer) -> None:
    import concurrent.futures
    images.behaviour.together = 2
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda p: txt2img(images, p)[0], ["a", "b"])) == [200, 200]
        third = pool.submit(txt2img, images, "c")
        time.sleep(0.3)
        assert not third.done(), "c waits for a partner of its own"
        fourth = pool.submit(txt2img, images, "d")
        assert third.result(5)[0] == fourth.result(5)[0] == 200


def test_reset_releases_a_batch_still_waiting(images: StandInImageServer) -> None:
    import concurrent.futures
    images.behaviour.together = 5
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        held = pool.submit(txt2img, images, "lonely")
        images.wait_for_requests(1, timeout=5)
        started = time.monotonic()
        images.reset()
        assert held.result(5)[0] == 200
        assert time.monotonic() - started < 2
    assert images.in_flight == 0


def test_each_request_records_the_reply_it_got_and_how_much_was_sent(llm: StandInLLM) -> None:
    llm.queue("first whole reply", Reply(["streamed ", "reply"]), "never asked for")
    post(llm.url + "/chat/completions", {"messages": []})
    post(llm.url + "/chat/completions", {"stream": True, "messages": []})
    first, second = llm.generation_requests()
    assert first.reply is not None and first.sent == first.reply.full_text() == "first whole reply"
    assert second.reply is not None and second.sent == "streamed reply" and second.completed
    assert llm.clear_queue() == 1
    # Nothing left queued: the storyteller answers.
    post(llm.url + "/chat/completions", {"messages": [{"role": "user", "content": "a lighthouse"}]})
    third = llm.generation_requests()[2]
    assert third.reply is not None and third.sent != "never asked for" and len(third.sent.split()) > 100


def test_a_stopped_stream_records_only_what_was_sent(llm: StandInLLM) -> None:
    from testbed.gate import Gate
    hold = Gate()
    llm.queue(Reply(["sent before the stop ", hold, "never sent"]))
    request = urllib.request.Request(llm.url + "/chat/completions", data=json.dumps({"stream": True, "messages": []}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert hold.reached.wait(5)
        response.read1(65536)  # type: ignore[attr-defined]
    # The client hung up (as SillyTavern does on Stop) before the gate opened.
    assert llm.generation_requests()[0].sent == "sent before the stop "
    hold.open()
    time.sleep(0.3)
    # Writing to the closed connection fails, so the rest is not counted as sent.
    assert llm.generation_requests()[0].sent == "sent before the stop "
    assert not llm.generation_requests()[0].completed


# -- the stand-in's pictures -------------------------------------------------------------------

def _pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0-255, over a coarse grid."""
    total = n = 0
    for x in range(0, a.width, 8):
        for y in range(0, a.height, 8):
            pa, pb = a.getpixel((x, y)), b.getpixel((x, y))
            total += sum(abs(int(i) - int(j)) for i, j in zip(pa, pb))  # type: ignore[arg-type]
            n += 3
    return total / n


def test_the_stand_in_paints_a_scene_from_the_prompt_the_same_each_time() -> None:
    from testbed.png import MARK, draw_prompt_png, ground_of, prompt_colour, sky_of
    night_sea = "a lighthouse on a rocky cliff at night, waves crashing"
    snowy_dusk = "a red fox trotting through snowy pines, dusk"
    assert draw_prompt_png(night_sea) == draw_prompt_png(night_sea), "the same prompt gives the same picture"
    a, b = _pixels(draw_prompt_png(night_sea)), _pixels(draw_prompt_png(snowy_dusk))
    assert _difference(a, b) > 40, "two different prompts give visibly different pictures"
    # The words set the scene: the sky at the top, the ground near the bottom.
    assert (sky_of({"night"}), sky_of({"dusk"}), sky_of({"dawn"}), sky_of({"tavern"})) == ("night", "sunset", "dawn", "day")
    assert (ground_of({"snowy"}), ground_of({"sea"}), ground_of({"city"}), ground_of({"desert"})) == ("snow", "sea", "city", "desert")
    top_night, top_dusk = a.getpixel((256, 40)), b.getpixel((256, 40))
    assert sum(top_night) < 200 < sum(top_dusk), (top_night, top_dusk)  # type: ignore[arg-type]
    assert min(b.getpixel((256, 250))) > 150, "snow is white"  # type: ignore[arg-type]
    # The tests' way to tell pictures apart still works: the prompt's colour at (10, 10).
    assert a.getpixel((10, 10)) == prompt_colour(night_sea)
    # Marked as a stand-in, in the picture and in its metadata.
    image = Image.open(io.BytesIO(draw_prompt_png(night_sea)))
    assert image.info.get("Comment", "").startswith(MARK)
    corner = [image.convert("RGB").getpixel((x, y)) for x in range(400, 508) for y in range(8, 22)]
    assert (255, 255, 255) in corner and (0, 0, 0) in corner, "the white-on-black mark is in the top-right corner"
