"""Shape per picture: `shape="portrait|landscape|square"` on a tag draws that picture in that
orientation at about Image Generation's configured pixel area; the user's saved size survives
any number of overlapping draws; with "Let the model choose the shape" off no size is sent and
the model is not told about shapes; the viewer's Edit prompt changes a picture's shape."""
from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page, expect

from testbed import stpage
from testbed.images import ImageRequest, StandInImageServer
from testbed.llm import StandInLLM
from testbed.sillytavern import SillyTavern

from .helpers import saved_messages, wait_until

WIDTH, HEIGHT = 512, 768  # the user's Image Generation size in these tests
RATIO = {"portrait": 2 / 3, "landscape": 3 / 2, "square": 1.0}


def configure_size(page: Page, width: int = WIDTH, height: int = HEIGHT) -> None:
    """Set Image Generation's width and height as its sliders do, and save the settings."""
    page.evaluate("""([w, h]) => {
      const ctx = SillyTavern.getContext();
      Object.assign(ctx.extensionSettings.sd, { width: w, height: h });
      ctx.saveSettingsDebounced();
    }""", [width, height])


def saved_sd_size(sillytavern: SillyTavern) -> tuple[Any, Any]:
    sd = json.loads((sillytavern.user_dir / "settings.json").read_text())["extension_settings"]["sd"]
    return sd.get("width"), sd.get("height")


def size_of(request: ImageRequest) -> tuple[int, int]:
    return int(request.body["width"]), int(request.body["height"])


def shaped(prompt: str, shape: str | None) -> str:
    return f'<img-prompt="{prompt}" shape="{shape}">' if shape else f'<img-prompt="{prompt}">'


def check_shape(size: tuple[int, int], shape: str) -> None:
    width, height = size
    assert width % 64 == 0 and height % 64 == 0, size
    assert abs(width * height / (WIDTH * HEIGHT) - 1) <= 0.1, f"{shape}: {size} is not about {WIDTH}x{HEIGHT} pixels"
    assert abs(width / height / RATIO[shape] - 1) <= 0.05, f"{shape}: {size}"
    if shape == "portrait":
        assert height > width
    elif shape == "landscape":
        assert width > height
    else:
        assert width == height


def test_each_shape_is_drawn_in_its_orientation_and_the_users_size_is_kept(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    configure_size(page)
    stpage.open_extension_drawer(page)
    stpage.set_field(page, "#inline_images_maxConcurrent", "4")
    # Slow pictures, so that all four of the reply's draws are under way together.
    images.behaviour.latency = 0.4
    shapes = {"a queen on her throne": "portrait", "a long valley at dawn": "landscape",
              "a carved die": "square", "a fox in the snow": None}
    llm.queue(" ".join(f"Line {k}. {shaped(p, s)}" for k, (p, s) in enumerate(shapes.items())) + " The end.")
    stpage.send(page, "Show me.")
    stpage.wait_idle(page)
    requests = images.wait_for_requests(4)
    assert len(requests) == 4
    for prompt, shape in shapes.items():
        request = next(r for r in requests if r.prompt.endswith(prompt))
        if shape:
            check_shape(size_of(request), shape)
        else:
            assert size_of(request) == (WIDTH, HEIGHT), "an unshaped picture is drawn at the configured size"
    # The meta-prompt taught the model the shapes.
    assert any('shape="landscape"' in json.dumps(r.body).replace('\\"', '"') for r in llm.generation_requests())
    # Four pictures in the message, the tags with their shapes kept.
    text = wait_until(lambda: (lambda t: t if t.count("<img data-iig") == 4 else None)(saved_messages(sillytavern, page)[-1]["mes"]),
                      what="four pictures saved in the message")
    assert 'shape="portrait"' in text and 'shape="landscape"' in text

    # More overlapping draws of every shape, in two replies at once: the user's size stays.
    order = ["portrait", "landscape", "square", None, "landscape", "portrait", None, "square"]
    llm.queue(" ".join(f"Part {k}. {shaped(f'scene number {k}', s)}" for k, s in enumerate(order)))
    stpage.send(page, "More.")
    stpage.wait_idle(page)
    later = images.wait_for_requests(4 + len(order))[4:]
    for k, shape in enumerate(order):
        request = next(r for r in later if r.prompt.endswith(f"scene number {k}"))
        if shape:
            check_shape(size_of(request), shape)
        else:
            assert size_of(request) == (WIDTH, HEIGHT)
    # Every draw over (drawn and written), Image Generation's size is the user's again.
    page.wait_for_function("() => window.inlineImages?.idle?.() === true", timeout=30_000)
    assert page.evaluate("() => { const sd = SillyTavern.getContext().extensionSettings.sd; return [sd.width, sd.height]; }") == [WIDTH, HEIGHT]
    wait_until(lambda: saved_sd_size(sillytavern) == (WIDTH, HEIGHT), what="the user's size in the saved settings")


def test_with_shapes_off_no_size_is_sent_and_the_model_is_not_told(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    configure_size(page, 640, 640)
    stpage.open_extension_drawer(page)
    box = page.locator("#inline_images_modelShapes")
    expect(box).to_be_checked()
    box.uncheck()
    llm.queue("A wide view. " + shaped("a long valley at dawn", "landscape") + " " + shaped("a queen", "portrait"))
    stpage.send(page, "Show me.")
    stpage.wait_idle(page)
    requests = images.wait_for_requests(2)
    assert [size_of(r) for r in requests] == [(640, 640), (640, 640)]
    last_prompt = json.dumps(llm.generation_requests()[-1].body)
    assert "shape=" not in last_prompt, "the meta-prompt does not mention shapes"
    assert "a long valley at dawn" in saved_messages(sillytavern, page)[-1]["mes"]


def test_the_viewers_edit_prompt_changes_the_shape(
        page: Page, sillytavern: SillyTavern, llm: StandInLLM, images: StandInImageServer) -> None:
    configure_size(page)
    llm.queue("A hall. " + shaped("a tall banner", None) + " Done.")
    stpage.send(page, "Show me.")
    stpage.wait_idle(page)
    images.wait_for_requests(1)
    index = stpage.last_index(page)
    picture = page.locator(f'#chat .mes[mesid="{index}"] .mes_text img[data-iig]')
    expect(picture).to_have_count(1, timeout=30_000)
    picture.click()
    page.locator("dialog.iig-viewer[open] .iig-viewer-edit").click()
    dialog = page.locator("dialog[open]").filter(has=page.locator(".popup-input:visible"))
    shape = dialog.locator("#iig_edit_shape")
    expect(shape).to_have_value("")
    shape.select_option("portrait")
    dialog.locator(".popup-button-ok").click()
    wait_until(lambda: len(images.requests) == 2, what="the picture drawn again")
    check_shape(size_of(images.requests[1]), "portrait")
    wait_until(lambda: '<img-prompt="a tall banner" shape="portrait">' in saved_messages(sillytavern, page)[-1]["mes"]
               and "<img data-iig" in saved_messages(sillytavern, page)[-1]["mes"], what="the tag's new shape saved")
