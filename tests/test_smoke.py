import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/signup/", "/accounts/login/", "/healthz", "/api/schema/"])
def test_public_pages_render(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
