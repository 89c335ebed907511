"""`python -m testbed.demo`: SillyTavern with Inline Images, ready to chat.

By default the LLM and the image backend are the testbed's stand-ins; `--llm-url` and
`--image-url` point it at real ones instead. Ctrl-C stops everything it started.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .images import StandInImageServer
from .llm import StandInLLM
from .sillytavern import EXTENSION_FOLDER, IMAGE_URL_SETTING, REPO_ROOT, Backends, SillyTavern, SillyTavernError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000, help="SillyTavern's port on 127.0.0.1 (default 8000)")
    parser.add_argument("--llm-url", help="a real OpenAI-compatible API base URL, e.g. http://127.0.0.1:5001/v1")
    parser.add_argument("--llm-model", default=None, help="model name to request from --llm-url")
    parser.add_argument("--llm-key", default=None,
                        help="API key for --llm-url (saved in SillyTavern's secrets.json of this data root)")
    parser.add_argument("--image-url", help="a real image server URL: A1111/Forge, or another local source with --image-source")
    parser.add_argument("--image-source", default="auto", choices=sorted(IMAGE_URL_SETTING),
                        help="SillyTavern image source for --image-url: auto (A1111/Forge), vlad (SD.Next), comfy "
                             "(ComfyUI), drawthings, sdcpp (default auto). Cloud sources (NovelAI, OpenAI, ...) "
                             "are set up in SillyTavern's Image Generation panel.")
    parser.add_argument("--no-stream", action="store_true", help="turn streaming off")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep SillyTavern's data here across runs (default: a fresh temporary folder); "
                             "each run still points it at this run's LLM and image server")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Started from a shell's background job, a process inherits SIGINT ignored (no job control):
    # Ctrl-C (or a test's SIGINT) must still stop the demo.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started: list[StandInLLM | StandInImageServer | SillyTavern] = []
    try:
        llm_url = args.llm_url
        if not llm_url:
            llm = StandInLLM().start()
            llm.settings.chunk_delay = 0.04  # a readable streaming pace for people watching
            started.append(llm)
            llm_url = llm.url
        image_url = args.image_url
        if not image_url:
            images = StandInImageServer().start()
            images.behaviour.latency = 1.5  # a real backend takes seconds; show the placeholder
            started.append(images)
            image_url = images.url
        backends = Backends(llm_url=llm_url, image_url=image_url,
                            image_source=args.image_source if args.image_url else "auto",
                            llm_model=args.llm_model or "stand-in-storyteller",
                            llm_key=args.llm_key if args.llm_url else None)
        st = SillyTavern(backends, streaming=not args.no_stream, port=args.port,
                         extensions={EXTENSION_FOLDER: REPO_ROOT}, data_root=args.data_dir,
                         open_character="default_Seraphina.png")
        started.append(st)
        print("[demo] starting SillyTavern (the first start builds its bundle, about 30 s) ...", flush=True)
        st.start()
        print(f"""
[demo] Ready. Open {st.url} in your browser.
       LLM:   {llm_url}{'  (stand-in storyteller)' if not args.llm_url else ''}
       Image: {image_url}{'  (stand-in A1111)' if not args.image_url else f'  (source {args.image_source})'}
       Seraphina's chat is open: send a message and pictures appear inside the reply.
       Press Ctrl-C to stop.
""", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        return 0
    except SillyTavernError as error:
        print(f"[demo] {error}", file=sys.stderr)
        return 1
    finally:
        print("[demo] stopping ...", flush=True)
        for thing in reversed(started):
            thing.stop()


if __name__ == "__main__":
    sys.exit(main())
