"""Real-browser fixtures: Debian's Chromium driven by Playwright (Python) against pytest-django's
live server, logging in through the real login forms (django-axes and CSRF included).

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it when missing),
never from Playwright's own download. Without /usr/bin/chromium the tests are skipped.
Screenshots of every step go to test-artifacts/browser/.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("KMCS_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-test-1234"  # tests/conftest.py make_user


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason=f"{CHROMIUM} 없음: apt-get install chromium (.ci/run 참고)")
    for item in items:
        if "browser" in item.keywords and not CHROMIUM.exists():
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per module. Playwright's sync API runs an event loop in this thread, which
    Django's ORM guard would take for async code: the guard is lifted while the browser lives
    (the ORM calls here are plain synchronous test setup), and restored after."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def reference_data(transactional_db):
    """The live server's tests are transactional (a flushed database): reference data back."""
    from django.core.management import call_command

    call_command("kmcs_bootstrap", stdout=io.StringIO())


class Screens:
    """Numbered screenshots of one scenario: test-artifacts/browser/<scenario>-NN-<step>.png."""

    def __init__(self, page, scenario: str):
        self.page = page
        self.scenario = scenario
        self.count = 0
        for old in ARTIFACTS.glob(f"{scenario}-*.png"):
            old.unlink()

    def shot(self, step: str) -> Path:
        self.count += 1
        name = re.sub(r"[^a-z0-9_-]+", "-", step.lower()).strip("-")
        path = ARTIFACTS / f"{self.scenario}-{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_page(browser, live_server):
    """open_page(scenario) -> (page, screens): a fresh browser context (its own cookies)."""
    contexts = []

    def _open(scenario: str):
        context = browser.new_context(
            base_url=live_server.url, locale="ko-KR", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        return page, Screens(page, scenario)

    yield _open
    for context in contexts:
        context.close()


def submit(page, selector: str) -> None:
    """Click a submit control and wait for the page its form leads to (POST, redirect, GET)
    to finish loading, so the database is asserted after the request, never during it."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def htmx_submit(page, selector: str) -> None:
    """Click a control whose form posts through htmx (issue 14.6: step ticks and sends) and
    wait for its answer and the swap: no navigation, the page is patched in place."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator(selector).first.click()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def login_attempt(page, username: str, password: str, *, admin: bool = False) -> None:
    """Fill and send the login form a person uses (the back-office login or the admin's)."""
    page.goto("/admin/login/" if admin else "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    submit(page, "[type=submit]")


def login(page, username: str, *, admin: bool = False) -> None:
    """Log in with the right password; the browser must land past the login form."""
    login_attempt(page, username, PASSWORD, admin=admin)
    assert "/login/" not in page.url, page.url
