"""The what-if page in a real browser: the app in a subprocess, Debian's Chromium through
Playwright.

``app_url`` starts ``collectsim app`` on a free loopback port with the small baseline
(``tests/support.SMALL``) once for the module and stops it afterwards. ``page`` opens a fresh
headless Chromium (``/usr/bin/chromium``, a new profile in a temporary folder, no network
services of its own) and records every request it makes and every web socket it opens, so a
test can assert that the page reached nothing but the app.

Without ``/usr/bin/chromium`` or the ``playwright`` package the tests are skipped, except on CI
(``CI=true``), whose ``.ci/run`` installs Chromium first: there they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import BASELINE, PYTHON, ROOT, SMALL

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_SECONDS = 60


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it: .ci/run)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"collectsim app exited: {error}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("collectsim app did not start listening")


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """``collectsim app`` on the small baseline, on a free loopback port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    process = subprocess.Popen([PYTHON, "-m", "sim", "app", str(BASELINE), "--port", str(port),
                                "--reps", "3", "--workers", "2", *SMALL],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Recorder:
    """Every URL a page requested or opened a web socket to."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def record(self, item: Any) -> None:
        self.urls.append(item.url)


@pytest.fixture
def browser_page(app_url: str, tmp_path: Path) -> Iterator[tuple[Any, Recorder]]:
    """A fresh headless Chromium page on the app, and what it requested."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    recorder = Recorder()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.on("request", recorder.record)
            page.on("websocket", recorder.record)
            page.set_default_timeout(30_000)
            page.goto(app_url)
            page.wait_for_selector("#kpi-recovery_rate")
            yield page, recorder
        finally:
            context.close()
