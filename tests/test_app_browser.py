"""The app in a real browser: start the server, run the baseline on Explore in headless
Chromium, wait for the charts, check that no error is shown, and save a screenshot.

Needs Debian's ``chromium`` (``.ci/run`` installs it); Playwright drives it, its own
browsers are never downloaded. ``ECOSIM_SCREENSHOT=docs/app.png`` also writes the
README's screenshot.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sim.commands.app import command_line

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
EXPLORE_CHARTS = 7
RUN_TIMEOUT_MS = 180_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit did not become healthy in 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Streamlit server for the app on a free loopback port, always stopped after."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    command = command_line("127.0.0.1", port, headless=True)  # as `ecosim app` starts it
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    """A new session of the app on Explore, once its Run button shows."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    try:
        tab = context.new_page()
        tab.goto(app_url, wait_until="domcontentloaded")
        expect(tab.get_by_role("button", name="Run", exact=True)).to_be_visible(timeout=60_000)
        yield tab
    finally:
        context.close()


def assert_no_error_shown(page: Page) -> None:
    for error in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        assert page.locator(error).count() == 0, page.locator(error).first.inner_text()


def test_explore_runs_the_baseline_in_chromium(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    page.get_by_role("button", name="Run", exact=True).click()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    expect(charts).to_have_count(EXPLORE_CHARTS, timeout=RUN_TIMEOUT_MS)
    expect(charts.locator("canvas, svg").first).to_be_visible(timeout=30_000)
    elapsed = time.monotonic() - started
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(6)
    assert_no_error_shown(page)
    page.wait_for_timeout(1000)  # let Vega finish drawing before the screenshot
    heading = page.get_by_text("seed 2019").first
    heading.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.locator('[data-testid="stSidebarContent"]').evaluate("sidebar => sidebar.scrollTo(0, 0)")
    shot = page.screenshot(path=str(tmp_path / "explore.png"))
    target = os.environ.get("ECOSIM_SCREENSHOT")
    if target:
        (ROOT / target).write_bytes(shot)
    print(f"baseline on Explore: results shown {elapsed:.1f} s after Run")


def test_a_bad_upload_shows_the_field_not_a_traceback(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.get_by_text("an uploaded YAML file").click()
    chooser = page.locator('[data-testid="stSidebar"] input[type="file"]')
    bad = tmp_path / "bad.yaml"
    bad.write_text("traffic:\n  gini_cap: 2\n")
    chooser.set_input_files(bad)
    error = page.locator('[data-testid="stAlertContentError"]')
    expect(error).to_contain_text("traffic.gini_cap", timeout=30_000)
    expect(error).to_contain_text("must be between 0 and 1, got 2")
    assert page.locator('[data-testid="stException"]').count() == 0

    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"#" * (2 * 2**20))
    chooser.set_input_files(huge)
    expect(page.get_by_text("File must be 1.0MB or smaller")).to_be_visible(timeout=30_000)
