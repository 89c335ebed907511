"""The demo command: brings up SillyTavern with the extension on the stand-ins, prints the
URL, and Ctrl-C stops everything it started."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request

from testbed.sillytavern import REPO_ROOT, free_port


def test_demo_serves_sillytavern_with_the_extension_and_stops_on_ctrl_c() -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "testbed.demo", "--port", str(port)], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ready. Open" in line:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}" in output, output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            assert response.status == 200
        # The extension is installed where SillyTavern serves third-party extensions from.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/extensions/discover") as response:
            discovered = json.load(response)
        assert any(e.get("name", "").endswith("inline-images") or "inline-images" in e.get("name", "")
                   for e in discovered), discovered
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, rest
        assert "stopping" in rest
        # Nothing is left listening on the demo's port.
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            raise AssertionError("SillyTavern is still running after Ctrl-C")
        except OSError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
