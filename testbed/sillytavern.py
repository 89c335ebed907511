"""Install a pinned SillyTavern from npm into a cache, and run it with a fresh data root."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VERSION = "1.19.0"
# The extension's folder name inside SillyTavern. Deliberately not the repo's name: the
# extension must work whatever folder a user's clone gets.
EXTENSION_FOLDER = "inline-images-clone"


def st_version() -> str:
    return os.environ.get("INLINE_IMAGES_ST_VERSION", DEFAULT_VERSION)


def cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "inline-images"
    return Path(os.environ.get("INLINE_IMAGES_CACHE", default))


class SillyTavernError(RuntimeError):
    pass


def install(version: str | None = None) -> Path:
    """Return the installed package directory, installing it with npm when missing."""
    version = version or st_version()
    home = cache_root() / f"sillytavern-{version}"
    package = home / "node_modules" / "sillytavern"
    if (package / "server.js").is_file() and (home / ".installed").is_file():
        return package
    home.mkdir(parents=True, exist_ok=True)
    (home / "package.json").write_text(json.dumps(
        {"name": "inline-images-st-host", "private": True, "dependencies": {"sillytavern": version}}))
    # The default hoisted layout puts image wasm files outside the package, and the server
    # then refuses to serve them.
    (home / ".npmrc").write_text("install-strategy=shallow\nfund=false\naudit=false\n")
    print(f"[testbed] installing SillyTavern {version} into {home} (about a minute) ...", flush=True)
    proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=home,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not (package / "server.js").is_file():
        raise SillyTavernError(f"npm install sillytavern@{version} failed:\n{proc.stdout}\n{proc.stderr}")
    (home / ".installed").write_text(version)
    return package


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Image Generation sources that talk to a local URL, and the setting holding it.
IMAGE_URL_SETTING = {"auto": "auto_url", "vlad": "vlad_url", "comfy": "comfy_url",
                     "drawthings": "drawthings_url", "sdcpp": "sdcpp_url"}


@dataclass
class Backends:
    llm_url: str  # OpenAI-compatible base URL, ending in /v1
    image_url: str  # the image server's origin, for `image_source`
    image_source: str = "auto"  # one of IMAGE_URL_SETTING
    llm_model: str = "stand-in-storyteller"
    llm_key: str | None = None


@dataclass
class SillyTavern:
    """One SillyTavern server process on 127.0.0.1 with its own data root."""

    backends: Backends
    streaming: bool = True
    api: Literal["chat", "text"] = "chat"
    extensions: dict[str, Path] = field(default_factory=dict)  # folder name -> source dir
    data_root: Path | None = None
    port: int = 0
    version: str = field(default_factory=st_version)
    # Avatar file of a character to open on page load (the bundled one is default_Seraphina.png).
    open_character: str | None = None

    def __post_init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._output: list[str] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def user_dir(self) -> Path:
        assert self.data_root is not None
        return self.data_root / "default-user"

    def output(self) -> str:
        return "".join(self._output)

    # -- set-up --------------------------------------------------------------------
    def _prepare(self, package: Path) -> None:
        if self.data_root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="inline-images-st-")
            self.data_root = Path(self._tmp.name)
        self.data_root.mkdir(parents=True, exist_ok=True)
        # The webpack bundle takes ~30 s to build; keep it with the install so fresh data
        # roots start warm.
        webpack = self.data_root / "_webpack"
        shared = package.parent.parent / "_webpack"
        shared.mkdir(exist_ok=True)
        if not webpack.exists():
            webpack.symlink_to(shared, target_is_directory=True)
        self._write_config(package)
        self._seed_settings(package)
        ext_dir = self.user_dir / "extensions"
        ext_dir.mkdir(parents=True, exist_ok=True)
        for name, source in self.extensions.items():
            link = ext_dir / name
            if link.is_symlink() or link.exists():
                continue
            link.symlink_to(Path(source).resolve(), target_is_directory=True)

    def _write_config(self, package: Path) -> None:
        config = yaml.safe_load((package / "default" / "config.yaml").read_text())
        config.update({
            "dataRoot": str(self.data_root),
            "listen": False,
            "port": self.port,
            "whitelistMode": True,
            "whitelist": ["127.0.0.1", "::1"],
            "enableDownloadableTokenizers": False,
        })
        config.setdefault("browserLaunch", {})["enabled"] = False
        config.setdefault("thumbnails", {})["enabled"] = False
        extensions = config.setdefault("extensions", {})
        extensions["autoUpdate"] = False
        extensions.setdefault("models", {})["autoDownload"] = False
        config.setdefault("backups", {}).setdefault("chat", {})["enabled"] = False
        (self.data_root / "config.yaml").write_text(yaml.safe_dump(config))  # type: ignore[operator]

    def _seed_settings(self, package: Path) -> None:
        """A fresh data root gets SillyTavern's default settings, set up for the testbed. A
        kept one (--data-dir) keeps everything the user saved except where the backends
        are, which this run decides (the stand-ins get new ports on every run)."""
        target = self.user_dir / "settings.json"
        fresh = not target.exists()
        source = package / "default" / "content" / "settings.json" if fresh else target
        settings: dict[str, Any] = json.loads(source.read_text())
        b = self.backends
        if fresh:
            settings["firstRun"] = False
            settings["main_api"] = "openai" if self.api == "chat" else "textgenerationwebui"
            power = settings.setdefault("power_user", {})
            power["auto_connect"] = True
            if self.open_character:
                power["auto_load_chat"] = True
                settings["active_character"] = self.open_character
        oai = settings.setdefault("oai_settings", {})
        oai.update({"chat_completion_source": "custom", "custom_url": b.llm_url,
                    "custom_model": b.llm_model, "stream_openai": self.streaming})
        textgen = settings.setdefault("textgenerationwebui_settings", {})
        origin = b.llm_url[:-3] if b.llm_url.endswith("/v1") else b.llm_url
        textgen.update({"type": "generic", "server_urls": {**textgen.get("server_urls", {}), "generic": origin},
                        "generic_model": b.llm_model, "streaming": self.streaming})
        settings["api_server_textgenerationwebui"] = origin
        sd = settings.setdefault("extension_settings", {}).setdefault("sd", {})
        sd.update({"source": b.image_source, IMAGE_URL_SETTING[b.image_source]: b.image_url})
        if fresh:
            sd["auto_auth"] = ""
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings, indent=2))
        if b.llm_key:
            self._seed_llm_key(b.llm_key)

    def _seed_llm_key(self, key: str) -> None:
        """The API key for both chat completion (custom) and text completion (generic), in
        the flat secrets.json form, which SillyTavern migrates to its current one on start."""
        path = self.user_dir / "secrets.json"
        secrets: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        if any(isinstance(v, list) for v in secrets.values()):
            # Already in the current form: add the key as the active one.
            for name in ("api_key_custom", "api_key_generic"):
                entries = secrets.setdefault(name, [])
                for entry in entries:
                    entry["active"] = False
                entries.append({"id": f"demo-{name}", "value": key, "label": "demo", "active": True})
        else:
            secrets.update({"api_key_custom": key, "api_key_generic": key})
        path.write_text(json.dumps(secrets, indent=4))

    # -- run -----------------------------------------------------------------------
    def start(self, timeout: float = 180.0) -> "SillyTavern":
        package = install(self.version)
        if not self.port:
            self.port = free_port()
        self._prepare(package)
        assert self.data_root is not None
        cmd = ["node", str(package / "server.js"),
               "--configPath", str(self.data_root / "config.yaml"),
               "--dataRoot", str(self.data_root),
               "--port", str(self.port), "--listen", "false", "--browserLaunchEnabled", "false"]
        self._proc = subprocess.Popen(cmd, cwd=package, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, start_new_session=True)
        threading.Thread(target=self._pump, daemon=True).start()
        self._wait_ready(timeout)
        return self

    def _pump(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self._output.append(line)
            if os.environ.get("INLINE_IMAGES_ST_LOG"):
                print("[sillytavern]", line, end="", flush=True)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise SillyTavernError(
                    f"SillyTavern exited with code {self._proc.returncode} during start-up:\n{self.output()[-6000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise SillyTavernError(f"SillyTavern was not ready within {timeout:.0f} s:\n{self.output()[-6000:]}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def patch_settings(self, patch: "Callable[[dict[str, Any]], None]") -> None:
        """Change the saved settings.json (no page may be open: a page saves over it)."""
        path = self.user_dir / "settings.json"
        settings = json.loads(path.read_text())
        patch(settings)
        path.write_text(json.dumps(settings, indent=2))

    # -- reading what SillyTavern saved --------------------------------------------
    def chat_files(self) -> list[Path]:
        return sorted((self.user_dir / "chats").rglob("*.jsonl"), key=lambda p: p.stat().st_mtime)

    def read_chat(self, path: Path) -> list[dict[str, Any]]:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [json.loads(line) for line in lines]

    def images_saved(self) -> list[Path]:
        folder = self.user_dir / "user" / "images"  # served as /user/images/...
        return sorted(folder.rglob("*.png")) if folder.exists() else []

    def copy_out(self, destination: Path) -> None:
        """Keep a failed run's data root for inspection."""
        if self.data_root is not None:
            shutil.copytree(self.data_root, destination, symlinks=True, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("_webpack", "extensions"))
