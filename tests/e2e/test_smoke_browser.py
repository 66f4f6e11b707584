import pytest

from tests.e2e.conftest import assert_accessible


@pytest.mark.django_db(transaction=True)
def test_home_page_is_accessible(page, live_server):
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page, "home")
