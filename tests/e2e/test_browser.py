"""What users look at, in a real browser: the API's ``/docs`` page and a drift report.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver``, which ``make test`` installs:
scripts/test-tools.sh) loads each page from a real process or file, and the test checks what a
person would see: the title, the content that matters, and no errors in the browser console.
A screenshot of each page is written under the test's tmp dir.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from driftwatch.generator import generate
from driftwatch.settings import Settings
from tests.fixtures.bus import free_port
from tests.fixtures.services import settings_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DRIFTWATCH = str(Path(sys.executable).with_name("driftwatch"))
PAGE_TIMEOUT_S = 60.0
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
"""No network but loopback here: without the background-networking flags Chromium tries (and
fails) to reach Google's hosts at every start."""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    assert chromium, "chromium is missing: make test installs it (scripts/test-tools.sh)"
    assert chromedriver, "chromedriver is missing: make test installs it (scripts/test-tools.sh)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def api_url(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``driftwatch serve`` as a real process (no model needed for its documentation pages)."""
    port = free_port()
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(
        [DRIFTWATCH, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=settings_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_live(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_api_docs_page_renders_offline(
    browser: webdriver.Chrome, api_url: str, tmp_path: Path
) -> None:
    browser.get(f"{api_url}/docs")
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    )
    browser.save_screenshot(str(tmp_path / "docs.png"))
    assert "DriftWatch prediction API" in browser.title
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/predict" in paths, paths
    assert "/feedback" in paths, paths
    assert _console_errors(browser) == []


def test_a_drift_report_renders_and_names_the_drifted_column(
    browser: webdriver.Chrome, settings: Settings, tmp_path: Path
) -> None:
    reference, current = tmp_path / "reference.parquet", tmp_path / "current.parquet"
    generate("baseline", 5000, 1).frame.to_parquet(reference, index=False)
    # Past the scenario's ramp every row is drifted: merchant risk moves far beyond its threshold.
    generate("feature_drift", 12_000, 2).frame.iloc[8000:].to_parquet(current, index=False)
    out = tmp_path / "reports"
    checked = subprocess.run(
        [DRIFTWATCH, "monitor", "check", "--reference", str(reference),
         "--current", str(current), "--out", str(out), "--json"],
        env=settings_env(settings), capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    columns = json.loads(checked.stdout)["columns"]
    drifted = next(c["column"] for c in columns if c["drifted"])
    stable = next(c["column"] for c in columns if not c["drifted"])
    (report,) = out.glob("*/drift_report.html")
    browser.get(report.as_uri())
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(lambda driver: _row(driver, drifted))
    browser.save_screenshot(str(tmp_path / "drift_report.png"))
    assert "Dataset Drift" in browser.find_element(By.TAG_NAME, "body").text
    assert "Detected" in _row(browser, drifted)
    assert "Not Detected" in _row(browser, stable)
    assert _console_errors(browser) == []


def _row(driver: webdriver.Chrome, column: str) -> str:
    """The text of the report's table row of ``column`` ("" before it renders)."""
    rows = driver.find_elements(By.XPATH, f"//tr[.//*[normalize-space(text())='{column}']]")
    return rows[0].text if rows else ""


def _console_errors(driver: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _wait_until_live(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "driftwatch serve exited"
        try:
            if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {PAGE_TIMEOUT_S:.0f} s")
