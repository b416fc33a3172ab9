"""The report in a real headless Chromium: it loads, every image renders, the console stays
clean, and a full-page screenshot is not blank.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``scripts/install-chromium.sh``,
run by ``make setup``) and selenium (the ``dev`` extra). Without them these tests FAIL: a
report nobody has seen render is not tested.
"""

from __future__ import annotations

import base64
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "run scripts/install-chromium.sh (or `make setup`) to install them"

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium driven by selenium, with the browser console log enabled."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    assert not missing, f"Chromium is not installed ({', '.join(missing)} missing); " \
                        + INSTALL_HINT
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.fail("selenium is not installed: pip install -e '.[dev]'")
    profile = tempfile.mkdtemp(prefix="iclab-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def load(driver, path: Path) -> list[dict]:
    """Open ``path``, wait for it to finish loading, return (and clear) the console log."""
    driver.get_log("browser")  # drop entries of earlier pages
    driver.get(path.resolve().as_uri())
    state = driver.execute_script("return document.readyState")
    assert state == "complete"
    return driver.get_log("browser")


def images(driver) -> list[dict]:
    return driver.execute_script(
        "return Array.from(document.images).map(i => ({complete: i.complete, "
        "width: i.naturalWidth, height: i.naturalHeight, alt: i.alt}));")


def test_chromium_is_installed() -> None:
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "Chromium missing; " + INSTALL_HINT


def test_report_loads_renders_every_image_without_console_errors(browser, report_path) -> None:
    log = load(browser, report_path)
    assert browser.title.startswith("iclab report")
    headings = browser.execute_script(
        "return Array.from(document.querySelectorAll('h2')).map(h => h.textContent);")
    assert headings[0] == "Run information" and len(headings) == 7
    found = images(browser)
    assert len(found) == 7
    broken = [i["alt"] for i in found if not i["complete"] or i["width"] == 0]
    assert not broken, f"images that did not render: {broken}"
    problems = [e for e in log if e["level"] in ("SEVERE", "WARNING")]
    assert not problems, f"console errors: {problems}"
    network = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    assert not [n for n in network if not n.startswith("data:")], network


def test_the_checks_catch_a_broken_page(browser, tmp_path) -> None:
    """Control: a page with a broken image and a console error fails both checks above."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                    '<img alt="bad" src="data:image/png;base64,AAAA">'
                    '<script>console.error("boom")</script></body></html>')
    log = load(browser, page)
    assert [i["width"] for i in images(browser)] == [0]
    assert any("boom" in e["message"] and e["level"] == "SEVERE" for e in log)


def test_full_page_screenshot_is_not_blank(browser, report_path, tmp_path) -> None:
    load(browser, report_path)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    shot = browser.execute_cdp_cmd("Page.captureScreenshot",
                                    {"format": "png", "captureBeyondViewport": True})
    path = tmp_path / "report.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    image = Image.open(io.BytesIO(path.read_bytes())).convert("RGB")
    assert image.width >= 1000 and image.height >= min(height, 3000)
    pixels = np.asarray(image, dtype=float)
    assert pixels.std() > 10, "the screenshot is blank"
    colors = len(np.unique(pixels.reshape(-1, 3)[::97], axis=0))
    assert colors > 50, f"only {colors} colors: the figures did not paint"
