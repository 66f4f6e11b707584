"""Suite-wide fixtures and the rule for tests that need a real component.

A test marked `postgres` or `redis` needs that server: without it the test is skipped with the reason, except
in CI (CI=true), where a missing server is a failure, so a green CI always means the real thing was exercised.
"""

import itertools
import os

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.factories import FreelancerProfileFactory, OrganizationFactory, PaymentMethodFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
_keys = itertools.count(1)


def _missing(marker: str) -> str | None:
    if marker == "postgres" and not settings.IS_POSTGRES:
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    if marker == "browser" and not os.path.exists("/usr/bin/chromium"):
        return "needs Debian's chromium at /usr/bin/chromium"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser"):
        reason = _missing(marker) if item.get_closest_marker(marker) else None
        if reason and IN_CI:
            pytest.fail(f"CI must provide it: {reason}", pytrace=False)
        if reason:
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder, a clean cache (rate limits!), mail kept in memory, fast hashing."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # PBKDF2's real cost (about half a second per hash here) is not what tests check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


# --- The parties the contracts and payments tests share ---


@pytest.fixture
def key():
    """A fresh idempotency key per call (what a rendered fund form or an API client would send)."""
    return lambda: f"request-{next(_keys)}"


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def freelancer(db):
    return FreelancerProfileFactory().user


@pytest.fixture
def card(organization):
    return PaymentMethodFactory(organization=organization)
