import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/signup/", "/accounts/login/", "/api/schema/", "/api/docs/"])
def test_public_pages_render(client, url):
    assert client.get(url).status_code == 200
