"""Headless Chromium (Debian's package, driven by Playwright) for the browser tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.browser.checks import ARGS, CHROMIUM, CSP_LISTENER, SIZES

pytestmark = [pytest.mark.browser]


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does).")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are
    # still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()
        # ORM calls made while Playwright runs get their own connection (its greenlet has its
        # own context); close it here, or the test database cannot be dropped at the end.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def open_page(browser, live_server) -> Callable[..., Any]:
    """A page at a named size ("desktop" 1366x900, "phone" 390x844, "small-phone" 360x780),
    signed in as `user`.

    The page records Content-Security-Policy violations (tests.browser.checks).
    """

    def make(size: str = "phone", user: str | None = None, password: str | None = None) -> Any:
        width, height = SIZES[size]
        context = browser.new_context(
            viewport={"width": width, "height": height},
            is_mobile=size != "desktop",
            has_touch=size != "desktop",
        )
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.set_default_timeout(30_000)
        if user:
            sign_in(page, live_server.url, user, password or f"{user}-pass-123")
        return page

    return make


def sign_in(page: Any, base: str, username: str, password: str, then: str = "/") -> None:
    page.goto(f"{base}/accounts/login/?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}{then}")


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot (the full page, or what the window shows) when FOCAL_SCREENSHOTS
    names a folder."""
    if shots := os.environ.get("FOCAL_SCREENSHOTS"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/{name}.png", full_page=full_page)


def wait_until(page: Any, script: str, arg: Any = None, timeout: float = 30) -> Any:
    """Poll a JavaScript function (e.g. "() => img.complete") until it returns something true.

    Playwright's wait_for_function compiles its predicate inside the page, which the site's
    Content-Security-Policy (no 'unsafe-eval') may refuse; page.evaluate runs through the
    devtools protocol, which the policy does not govern.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {script}")
        time.sleep(0.1)


def wait_for_layout(page: Any) -> None:
    """Wait until every justified grid is laid out for its current width (site.js lays a grid
    out again 120 ms after its width changes; a click before that may land between tiles)."""
    wait_until(
        page,
        """() => [...document.querySelectorAll('.jgrid')].every(
          g => !g.clientWidth || !g.children.length
            || Number(g.dataset.laidOutWidth) === g.clientWidth)""",
    )
