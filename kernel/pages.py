"""The one way a page shows what a service refused (the API's counterpart is `kernel.api_errors`).

- NotFound is the page's 404 (another user's object looks like no object), PermissionDenied its 403;
- InvalidInput with `errors` goes beside the form's fields (service argument names mapped to the form's);
- any other DomainError is a message (after a redirect) or an error at the top of the form.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404

from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied


def show_refusal(request, exc: DomainError) -> None:
    """A refusal as a message on the next page; NotFound raises the 404 and PermissionDenied the 403 instead (the
    one permission rule, as in the API)."""
    if isinstance(exc, NotFound):
        raise Http404(exc.detail) from exc
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.detail) from exc
    messages.error(request, exc.detail)


def attempt(request, call: Callable[[], Any], success: str | Callable[[Any], str]) -> bool:
    """Run one service call for a page: its refusal becomes a message (NotFound a 404), else `success` is shown
    (a text, or a function of what the call returned). True when the call succeeded."""
    try:
        result = call()
    except DomainError as exc:
        show_refusal(request, exc)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def add_refusal(form, exc: DomainError, *, field_names: Mapping[str, str] | None = None) -> None:
    """Put a service's refusal on `form`: each InvalidInput error beside its field (`field_names` maps a service
    argument such as "rate_min_cents" to the form's "rate_min"), anything else at the top. NotFound is a 404."""
    if isinstance(exc, NotFound):
        raise Http404(exc.detail) from exc
    errors = exc.errors if isinstance(exc, InvalidInput) else {}
    if not errors:
        form.add_error(None, ValidationError(exc.detail, code=exc.code))
        return
    for field, field_messages in errors.items():
        name = (field_names or {}).get(field, field)
        form.add_error(name if name in form.fields else None, ValidationError(field_messages, code=exc.code))


def checked(check: Callable[[], Any]) -> Any:
    """Run a service's check inside a form's `clean_<field>`: its InvalidInput becomes the field's error."""
    try:
        return check()
    except InvalidInput as exc:
        raise ValidationError(exc.detail, code=exc.code) from None
