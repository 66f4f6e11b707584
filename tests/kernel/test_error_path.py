"""One error path: the API's handler and the page helpers show every kind of refusal the same way everywhere."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client, RequestFactory

from kernel.api_errors import exception_handler
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kernel.pages import add_refusal, attempt, checked
from kernel.permissions import require_access


def test_the_api_returns_every_field_of_a_django_validation_error():
    response = exception_handler(ValidationError({"start": ["Too early."], "end": ["Too late.", "Not a day."]}), {})
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["errors"] == {"start": ["Too early."], "end": ["Too late.", "Not a day."]}


def test_the_api_returns_a_django_validation_error_without_fields_as_non_field_errors():
    response = exception_handler(ValidationError("Nope."), {})
    assert (response.status_code, response.data["errors"]) == (400, {"non_field_errors": ["Nope."]})


def test_the_api_returns_an_invalid_inputs_code_and_all_its_errors():
    exc = InvalidInput("terms_invalid", errors={"a": "Bad a.", "b": ["Bad b.", "Worse b."]})
    response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data == {
        "code": "terms_invalid",
        "detail": "Bad a. Bad b. Worse b.",
        "errors": {"a": ["Bad a."], "b": ["Bad b.", "Worse b."]},
    }


def test_a_domain_error_keeps_its_status_and_code():
    response = exception_handler(DomainError("offer_expired", "This offer has expired."), {})
    assert (response.status_code, response.data) == (
        409,
        {"code": "offer_expired", "detail": "This offer has expired."},
    )


def test_the_one_permission_rule():
    with pytest.raises(NotFound):
        require_access(visible=False, allowed=False)
    with pytest.raises(NotFound):  # not visible wins even when the role would allow it: nothing leaks
        require_access(visible=False, allowed=True)
    with pytest.raises(PermissionDenied) as exc:
        require_access(visible=True, allowed=False, detail="Only owners.")
    assert (exc.value.status, exc.value.detail) == (403, "Only owners.")
    require_access(visible=True, allowed=True)


class _Form(forms.Form):
    rate = forms.CharField()
    title = forms.CharField()


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_a_page_shows_invalid_input_beside_its_fields_under_the_forms_names():
    form = _Form({"rate": "1", "title": "x"})
    assert form.is_valid()
    add_refusal(
        form,
        InvalidInput("bad", errors={"rate_cents": "Too low.", "elsewhere": "Look here."}),
        field_names={"rate_cents": "rate"},
    )
    assert form.errors["rate"] == ["Too low."]
    assert form.non_field_errors() == ["Look here."]


def test_a_page_shows_a_broken_rule_at_the_top_and_not_found_as_404():
    form = _Form({"rate": "1", "title": "x"})
    form.is_valid()
    add_refusal(form, DomainError("job_closed", "This job is closed."))
    assert form.non_field_errors() == ["This job is closed."]
    with pytest.raises(Http404):
        add_refusal(form, NotFound())


def test_attempt_turns_a_refusal_into_a_message_and_success_into_another():
    request = _request()

    def refuse():
        raise DomainError("nope", "Not now.")

    assert attempt(request, refuse, "Done.") is False
    assert attempt(request, lambda: 7, lambda n: f"Done {n}.") is True
    assert [str(m) for m in get_messages(request)] == ["Not now.", "Done 7."]
    with pytest.raises(Http404):
        attempt(request, lambda: (_ for _ in ()).throw(NotFound()), "never")


def test_checked_makes_a_service_check_a_field_error():
    def check():
        raise InvalidInput("invalid_timezone", errors={"timezone": "Not a zone."})

    with pytest.raises(ValidationError) as exc:
        checked(check)
    assert exc.value.messages == ["Not a zone."]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/no-such-thing", "/api/v1/jobs/12/nope/"])
def test_any_method_on_an_unknown_api_path_is_a_404_in_the_api_format(method, path):
    client = Client(enforce_csrf_checks=True)
    client.get("/")  # a session and CSRF cookie, as a browser would have: still no CSRF page
    body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
    response = getattr(client, method)(path, **body)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "There is no such API endpoint."}


@pytest.mark.django_db
def test_a_known_endpoint_without_its_slash_is_redirected_keeping_the_method():
    response = Client().post("/api/v1/jobs?x=1", data="{}", content_type="application/json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/jobs/?x=1"
