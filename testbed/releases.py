"""`python -m testbed.releases`: the core end-to-end subset against several SillyTavern releases.

By default it takes, from `npm view sillytavern versions --json`, the newest release of each
series in SERIES; `--versions 1.13.5,1.19.0` names them instead. Each release is installed
once into the testbed's cache, then the subset runs with pytest in a subprocess with
INLINE_IMAGES_ST_VERSION set. The table shows one row per release and one column per item
(pass / FAIL / skip; an item is FAIL if any of its tests failed or errored), with the time
each release took. Without `--keep-going` it stops after the first release that fails
(releases run newest first, so the table shows how far back the extension works).
pytest's own output of each release is kept in the log folder printed at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .sillytavern import REPO_ROOT, SillyTavernError, install

# Release series to cover (SillyTavern published no 1.15.x).
SERIES = ["1.13", "1.14", "1.16", "1.17", "1.18", "1.19"]

# The core end-to-end subset: item -> pytest node ids (short tests, a few minutes a release).
SUBSET: dict[str, list[str]] = {
    "streamed": [
        "tests/e2e/test_pipeline.py::test_streamed_reply_with_three_tags_ends_with_three_images",
        "tests/e2e/test_pipeline.py::test_image_is_requested_and_shown_while_the_reply_still_streams",
    ],
    "non-streamed": [
        "tests/e2e/test_pipeline.py::test_non_streamed_reply_gets_its_images",
    ],
    "text-compl": [
        "tests/e2e/test_text_completion.py::test_text_completion_reply_gets_images_and_the_next_prompt_is_pruned",
    ],
    "swipe": [
        # Swipes with the arrow while a picture of swipe 0 is pending.
        "tests/e2e/test_pipeline.py::test_swipe_while_images_pending_puts_them_in_the_right_swipe",
        # Swipes with the arrow, as a user does (works on every release).
        "tests/e2e/test_prompt_writer.py::test_a_swipe_during_the_request_leaves_both_swipes_alone",
    ],
    "stop": [
        "tests/e2e/test_pipeline.py::test_stop_after_the_second_tag_keeps_the_first_two_images",
    ],
    "chat-switch": [
        "tests/e2e/test_reliability.py::test_a_picture_finishes_in_its_own_chat_and_is_written_when_that_chat_opens_again",
    ],
    "hostile": [
        "tests/e2e/test_pipeline.py::test_hostile_prompts_run_nothing",
        "tests/e2e/test_hostile.py::test_hostile_prompts_in_streaming_placeholders_tooltips_and_committed_pictures",
    ],
    "append": [
        "tests/e2e/test_manual.py::test_append_draws_only_missing_images",
    ],
    "drawer": [
        "tests/e2e/test_settings.py::test_word_interval_from_the_drawer_reaches_the_meta_prompt",
        "tests/e2e/test_settings.py::test_out_of_range_values_are_clamped_in_the_drawer",
    ],
}

PASS, FAIL, SKIP, MISSING = "pass", "FAIL", "skip", "-"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def published_versions() -> list[str]:
    proc = subprocess.run(["npm", "view", "sillytavern", "versions", "--json"], capture_output=True, text=True,
                          check=True)
    found = json.loads(proc.stdout)
    return [found] if isinstance(found, str) else list(found)


def newest_per_series(versions: list[str], series: list[str]) -> dict[str, str | None]:
    """The newest stable release (x.y.z, no pre-release suffix) of each series."""
    stable = [v for v in versions if re.fullmatch(r"\d+\.\d+\.\d+", v)]
    chosen: dict[str, str | None] = {}
    for s in series:
        in_series = [v for v in stable if v.startswith(s + ".")]
        chosen[s] = max(in_series, key=version_key) if in_series else None
    return chosen


@dataclass
class ReleaseRun:
    version: str
    outcomes: dict[str, str] = field(default_factory=dict)  # node id -> pass/FAIL/skip
    messages: dict[str, str] = field(default_factory=dict)  # node id -> first line of the failure
    install_seconds: float = 0.0
    test_seconds: float = 0.0
    error: str = ""  # install or run failure that left no per-test outcome
    log: Path | None = None

    @property
    def seconds(self) -> float:
        return self.install_seconds + self.test_seconds

    def item(self, nodes: list[str]) -> str:
        got = [self.outcomes.get(n, MISSING) for n in nodes]
        if FAIL in got:
            return FAIL
        if MISSING in got:
            return MISSING
        if all(g == SKIP for g in got):
            return SKIP
        return PASS

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(self.item(nodes) in (FAIL, MISSING) for nodes in SUBSET.values())


def node_key(node: str) -> tuple[str, str]:
    """(classname, name) as pytest's junitxml writes them for a node id."""
    path, *rest = node.split("::")
    module = path[:-3].replace("/", ".") if path.endswith(".py") else path.replace("/", ".")
    return ".".join([module, *rest[:-1]]), rest[-1]


def read_junit(path: Path) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    outcomes: dict[tuple[str, str], str] = {}
    messages: dict[tuple[str, str], str] = {}
    rank = {PASS: 0, SKIP: 1, FAIL: 2}
    for case in ET.parse(path).getroot().iter("testcase"):
        key = (case.get("classname", ""), case.get("name", ""))
        outcome, message = PASS, ""
        for child in case:
            if child.tag in ("failure", "error"):
                lines = (child.get("message") or "").splitlines()
                outcome, message = FAIL, (lines[0] if lines else child.tag)
                if child.tag == "error":
                    message = "error: " + message
                break
            if child.tag == "skipped":
                outcome, message = SKIP, child.get("message") or ""
        # A test with a setup error and a teardown error appears twice: keep the worst.
        if rank[outcome] >= rank.get(outcomes.get(key, PASS), 0):
            outcomes[key] = outcome
            if message:
                messages[key] = message
    return outcomes, messages


def run_release(version: str, log_dir: Path, timeout: float, pytest_args: list[str]) -> ReleaseRun:
    run = ReleaseRun(version)
    started = time.monotonic()
    try:
        install(version)
    except SillyTavernError as error:
        run.error = f"install failed: {str(error).splitlines()[0]}"
        return run
    finally:
        run.install_seconds = time.monotonic() - started
    nodes = [n for group in SUBSET.values() for n in group]
    junit = log_dir / f"junit-{version}.xml"
    run.log = log_dir / f"pytest-{version}.log"
    env = {**os.environ, "INLINE_IMAGES_ST_VERSION": version}
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", "-rfE",
           *pytest_args, *nodes]
    started = time.monotonic()
    print(f"[releases] {version}: running {len(nodes)} tests (log: {run.log}) ...", flush=True)
    with run.log.open("w") as out:
        # Its own process group, so a timeout stops pytest and every SillyTavern it started.
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            run.error = f"timed out after {timeout:.0f} s"
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(15)
                    break
                except subprocess.TimeoutExpired:
                    continue
                except ProcessLookupError:
                    break
    run.test_seconds = time.monotonic() - started
    if junit.is_file():
        try:
            outcomes, messages = read_junit(junit)
        except ET.ParseError as error:
            run.error = run.error or f"unreadable junit xml: {error}"
        else:
            for node in nodes:
                key = node_key(node)
                if key in outcomes:
                    run.outcomes[node] = outcomes[key]
                if key in messages:
                    run.messages[node] = messages[key]
    elif not run.error:
        run.error = f"pytest exited with code {proc.returncode} and wrote no report"
    return run


def table(runs: list[ReleaseRun]) -> str:
    items = list(SUBSET)
    head = ["release", *items, "tests", "time"]
    rows = []
    for run in sorted(runs, key=lambda r: version_key(r.version)):
        nodes = [n for group in SUBSET.values() for n in group]
        passed = sum(run.outcomes.get(n) == PASS for n in nodes)
        cells = [run.item(SUBSET[i]) for i in items]
        m, s = divmod(round(run.seconds), 60)
        rows.append([run.version, *cells, f"{passed}/{len(nodes)}", f"{m}m{s:02d}s"])
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()

    out = [line(head), line(["-" * w for w in widths]), *map(line, rows)]
    notes = []
    for run in sorted(runs, key=lambda r: version_key(r.version)):
        if run.error:
            notes.append(f"{run.version}: {run.error}")
        for node, outcome in run.outcomes.items():
            if outcome == FAIL:
                notes.append(f"{run.version}: FAIL {node.split('::')[-1]}: {run.messages.get(node, '')[:200]}")
    return "\n".join(out + ([""] + notes if notes else []))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m testbed.releases", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", help="comma-separated releases (default: the newest of each of "
                                           + ", ".join(f"{s}.x" for s in SERIES) + ")")
    parser.add_argument("--keep-going", action="store_true", help="run every release even after one fails")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per release's tests (default 1800)")
    parser.add_argument("--log-dir", type=Path, default=None, help="where pytest's logs and junit files go "
                                                                   "(default: a new temporary folder)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.versions:
        versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    else:
        chosen = newest_per_series(published_versions(), SERIES)
        for s, v in chosen.items():
            if v is None:
                print(f"[releases] no {s}.x release on npm", flush=True)
        versions = [v for v in chosen.values() if v]
    versions.sort(key=version_key, reverse=True)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="inline-images-releases-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    runs: list[ReleaseRun] = []
    started = time.monotonic()
    for version in versions:
        run = run_release(version, log_dir, args.timeout, args.pytest_args)
        runs.append(run)
        print(f"[releases] {version}: {'FAIL' if run.failed else 'pass'} in {run.seconds:.0f} s", flush=True)
        if run.failed and not args.keep_going:
            skipped = versions[versions.index(version) + 1:]
            if skipped:
                print(f"[releases] stopping (no --keep-going); not run: {', '.join(skipped)}", flush=True)
            break
    print()
    print(table(runs))
    print(f"\ntotal {time.monotonic() - started:.0f} s; logs and junit files in {log_dir}")
    return 1 if any(r.failed for r in runs) or len(runs) < len(versions) else 0


if __name__ == "__main__":
    sys.exit(main())
