"""Shared fixtures: stand-in backends are started once per session and reset per test."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from testbed.images import StandInImageServer
from testbed.llm import StandInLLM


@pytest.fixture(scope="session")
def llm_server() -> Iterator[StandInLLM]:
    server = StandInLLM().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def image_server() -> Iterator[StandInImageServer]:
    server = StandInImageServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm(llm_server: StandInLLM) -> StandInLLM:
    llm_server.reset()
    return llm_server


@pytest.fixture
def images(image_server: StandInImageServer) -> StandInImageServer:
    image_server.reset()
    return image_server


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    # Fixtures read this to keep screenshots and console logs of failed tests only.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
