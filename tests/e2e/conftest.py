"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server, with axe-core.

Run in their own pytest process (`make test` does): once Chromium's event loop runs, async tests cannot.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

# Sync Playwright runs an event loop in this thread; the ORM calls the tests make beside it are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    # The hook sees the whole session's items: mark only the ones in this folder.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "timezone_id": "Europe/Lisbon"}


@pytest.fixture
def page(page, live_server):
    page.set_default_timeout(10_000)
    return page


_axe = Axe()


def assert_accessible(page, name: str | None = None):
    """axe-core finds no violations on the page as it is now; with a name, also keep a screenshot to look at."""
    if name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = _axe.run(page)
    assert results.violations_count == 0, results.generate_report()
