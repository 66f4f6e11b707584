import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/signup/", "/accounts/login/", "/api/schema/", "/api/docs/"])
def test_public_pages_render(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_an_unknown_api_path_answers_in_the_api_error_format(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "There is no such API endpoint."}


@pytest.mark.django_db
def test_an_api_path_without_its_trailing_slash_still_redirects_to_it(client):
    assert client.get("/api/v1/skills").url == "/api/v1/skills/"
