"""The app in a real browser (Debian's headless Chromium, driven by Playwright): walk
Explore (edit a lever, run, read the deltas), reload its link, Compare three policies,
sweep a response curve (3 points x 2 seeds) and find the app's runs in Results.

Runs use the app's ``tiny`` resolution (5k fans) for 30 days. Screenshots of each page
go to a temporary directory, and to ``docs/`` (the README's pictures) when
``ECOSIM_SCREENSHOTS=docs`` is set. Playwright's own browsers are never downloaded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sim.commands.app import command_line

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, ViewportSize

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
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}
RUN_TIMEOUT_MS = 120_000
TINY = {"res": "tiny", "days": "30", "seeds": "2"}
SCROLL_TO = """element => {
  element.scrollIntoView({block: 'start'});
  document.querySelector('[data-testid="stMain"]')?.scrollBy(0, -130);
}"""
"""Scroll an element to the top of the page, below the sticky Run bar."""

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
    """A Streamlit server for the app on a free loopback port, its runs, policies and
    sweeps in a temporary directory; always stopped after."""
    port = _free_port()
    work = tmp_path_factory.mktemp("app")
    log = work / "streamlit.log"
    env = {
        **os.environ,
        "ECOSIM_APP_RUNS": str(work / "runs"),
        "ECOSIM_APP_POLICIES": str(work / "policies"),
        "ECOSIM_APP_SWEEPS": str(work / "sweeps"),
    }
    command = command_line("127.0.0.1", port, headless=True)  # as `ecosim app` starts it
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, env=env
        )
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


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    """One tab for the whole walk: the pages share the session, as a planner's would."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


def link(base: str, path: str = "", **params: str) -> str:
    return f"{base}/{path}?{urllib.parse.urlencode(params)}"


def assert_no_error_shown(page: Page) -> None:
    for error in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        assert page.locator(error).count() == 0, page.locator(error).first.inner_text()


def screenshot(page: Page, name: str, tmp: Path) -> None:
    page.wait_for_timeout(800)  # let Vega finish drawing
    shot = page.screenshot(path=str(tmp / name), full_page=False)
    folder = os.environ.get("ECOSIM_SCREENSHOTS")
    if folder:
        (ROOT / folder / name).write_bytes(shot)


def wait_idle(page: Page) -> None:
    """Until Streamlit has finished running the page's script."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=RUN_TIMEOUT_MS)


def set_slider(page: Page, slider: Locator, target: float) -> None:
    """Move a slider with the arrow keys (one step a press) until it shows ``target``;
    a press during a rerun may be lost, so the value is read back each time."""
    from playwright.sync_api import expect

    for _ in range(60):
        value = float(slider.get_attribute("aria-valuetext") or "nan")
        if abs(value - target) < 1e-9:
            break
        slider.focus()
        slider.press("ArrowLeft" if value > target else "ArrowRight")
        page.wait_for_timeout(120)
    expect(slider).to_have_attribute("aria-valuetext", f"{target:g}", timeout=10_000)


def test_explore_edit_run_and_read_the_deltas(page: Page, app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(link(app_url, **TINY), wait_until="domcontentloaded")
    run = page.get_by_role("button", name="Run", exact=True)
    expect(run).to_be_visible(timeout=60_000)
    cap = page.locator('[data-testid="stSlider"]').filter(has_text="gini cap").get_by_role("slider")
    set_slider(page, cap, 0.45)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebarContent"]')
    sidebar.evaluate("bar => bar.scrollTo(0, bar.scrollHeight)")
    expect(run).to_be_in_viewport()  # the Run bar stays in view
    sidebar.evaluate("bar => bar.scrollTo(0, 0)")
    started = time.monotonic()
    run.click()
    expect(page.get_by_text("baseline (edited) against baseline")).to_be_visible(
        timeout=RUN_TIMEOUT_MS
    )
    first = time.monotonic() - started
    expect(page.get_by_text("2 of 2 seeds;")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    everything = time.monotonic() - started
    wait_idle(page)
    expect(page.locator('[data-testid="stMetricDelta"]').first).to_contain_text("vs baseline")
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(1)
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible()
    assert "traffic.gini_cap=0.45" in page.url
    assert_no_error_shown(page)
    page.get_by_text("baseline (edited) against baseline").evaluate(SCROLL_TO)
    screenshot(page, "app.png", tmp_path)
    print(f"tiny Explore in Chromium: first seed {first:.1f} s, both seeds {everything:.1f} s")

    shared = page.url
    page.goto(shared, wait_until="domcontentloaded")  # reload by URL, a fresh session
    expect(run).to_be_visible(timeout=60_000)
    restored = page.locator('[data-testid="stSlider"]').filter(has_text="gini cap")
    expect(restored.get_by_role("slider")).to_have_attribute("aria-valuetext", "0.45")
    expect(page.get_by_text("runs are cached")).to_be_visible(timeout=30_000)


def test_compare_three_policies(page: Page, app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    params = {**TINY, "count": "3", "p1": "baseline", "p2": "baseline", "p3": "centralized",
              "e2": "traffic.gini_cap=0.4", "n2": "cap-0.4", "e1": "", "e3": ""}  # fmt: skip
    page.goto(link(app_url, "compare", **params), wait_until="domcontentloaded")
    button = page.get_by_role("button", name="Compare", exact=True)
    expect(button).to_be_enabled(timeout=60_000)
    button.click()
    expect(page.get_by_text("3 policies against baseline")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_text("2 of 2 seeds, 30 days each")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    wait_idle(page)
    table = page.locator('[data-testid="stDataFrame"]')
    expect(table).to_have_count(1)
    expect(page.get_by_role("button", name="Export the comparison (HTML report)")).to_be_visible()
    assert_no_error_shown(page)
    page.get_by_text("3 policies against baseline").evaluate(SCROLL_TO)
    screenshot(page, "app-compare.png", tmp_path)


def test_response_curve_three_points_two_seeds(page: Page, app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    params = {**TINY, "lever": "traffic.gini_cap", "low": "0.3", "high": "0.9",
              "points": "3", "none": "false"}  # fmt: skip
    page.goto(link(app_url, "curves", **params), wait_until="domcontentloaded")
    button = page.get_by_role("button", name="Sweep", exact=True)
    expect(button).to_be_enabled(timeout=60_000)
    expect(
        page.get_by_text("6 runs (traffic.gini_cap = 0.3, 0.6, 0.9; 2 seeds each)")
    ).to_be_visible()
    button.click()
    expect(page.get_by_text("3 points, 2 seeds each")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    wait_idle(page)
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(5)
    assert_no_error_shown(page)
    page.get_by_text("3 points, 2 seeds each").evaluate(SCROLL_TO)
    screenshot(page, "app-curves.png", tmp_path)


def test_results_lists_the_app_runs(page: Page, app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/results", wait_until="domcontentloaded")
    table = page.locator('[data-testid="stDataFrame"]')
    expect(table).to_have_count(1, timeout=60_000)
    wait_idle(page)
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=30_000)
    assert_no_error_shown(page)
    screenshot(page, "app-results.png", tmp_path)


def test_stop_ends_a_run_cleanly(page: Page, app_url: str) -> None:
    from playwright.sync_api import expect

    params = {**TINY, "days": "730", "seeds": "5", "traffic.gini_cap": "0.5"}
    page.goto(link(app_url, **params), wait_until="domcontentloaded")
    run = page.get_by_role("button", name="Run", exact=True)
    expect(run).to_be_enabled(timeout=60_000)
    wait_idle(page)
    run.click()
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_enabled(timeout=60_000)
    expect(page.get_by_text("seeds done, day").first).to_be_visible(timeout=60_000)
    stop.click()
    expect(page.get_by_text("Stopped.")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    wait_idle(page)
    expect(run).to_be_enabled()
    assert_no_error_shown(page)


def test_stop_ends_a_sweep_between_runs(page: Page, app_url: str) -> None:
    from playwright.sync_api import expect

    params = {**TINY, "days": "365", "seeds": "3", "lever": "traffic.gini_cap", "low": "0.3",
              "high": "0.9", "points": "4", "none": "false"}  # fmt: skip
    page.goto(link(app_url, "curves", **params), wait_until="domcontentloaded")
    sweep = page.get_by_role("button", name="Sweep", exact=True)
    expect(sweep).to_be_enabled(timeout=60_000)
    wait_idle(page)
    sweep.click()
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_enabled(timeout=60_000)
    page.wait_for_timeout(2000)  # the cluster starts
    stop.click()
    expect(page.get_by_text("Stopped. The runs that had finished are saved")).to_be_visible(
        timeout=RUN_TIMEOUT_MS
    )
    expect(sweep).to_be_enabled()
    assert_no_error_shown(page)


SPEED_ENV = "ECOSIM_APP_SPEED"
"""Set to 1 to time Explore at baseline size and at a quarter (about a minute more)."""


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get(SPEED_ENV) != "1", reason=f"set {SPEED_ENV}=1 to time it")
@pytest.mark.parametrize("resolution", ["full", "quarter"])
def test_speed_of_an_edited_baseline_size_policy(page: Page, app_url: str, resolution: str) -> None:
    """The issue's targets: with the pinned baseline cached, the edited policy's first seed
    within 5 s of Run and all 3 seeds within 15 s (180 days). Printed, not asserted: the
    numbers depend on what else this machine is running."""
    from playwright.sync_api import expect

    settings = {"res": resolution, "days": "180", "seeds": "3"}
    page.goto(link(app_url, **settings), wait_until="domcontentloaded")  # prewarms
    expect(page.get_by_text("runs are cached")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.goto(link(app_url, **settings, **{"traffic.gini_cap": "0.5"}))
    run = page.get_by_role("button", name="Run", exact=True)
    expect(run).to_be_enabled(timeout=60_000)
    wait_idle(page)
    started = time.monotonic()
    run.click()
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(1, timeout=RUN_TIMEOUT_MS)
    first = time.monotonic() - started
    expect(page.get_by_text("3 of 3 seeds;")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    every = time.monotonic() - started
    print(f"\n{resolution} resolution, 180 days: first seed {first:.1f} s, 3 seeds {every:.1f} s")
