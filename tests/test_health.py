import pytest

from marketplace import health


@pytest.mark.django_db
def test_healthz_answers_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_cache_and_broker(client):
    body = client.get("/readyz").json()
    assert body == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_dependency_that_is_down(client, monkeypatch):
    def broker_down():
        raise ConnectionRefusedError

    monkeypatch.setattr(health, "_broker", broker_down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error: ConnectionRefusedError"
    assert response.json()["checks"]["database"] == "ok"
