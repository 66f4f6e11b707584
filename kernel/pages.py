"""The one way a page shows what a service refused (the API's counterpart is `kernel.api_errors`).

- NotFound is the page's 404 (another user's object looks like no object), PermissionDenied its 403;
- InvalidInput with `errors` goes beside the form's fields (service argument names mapped to the form's);
- any other DomainError is a message (after a redirect) or an error at the top of the form.

`form_action` is the whole of a small POST (a button or a short form on a page that redirects back).
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect

from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied


def show_refusal(request, exc: DomainError) -> None:
    """A refusal as a message on the next page; NotFound raises the 404 and PermissionDenied the 403 instead (the
    one permission rule, as in the API)."""
    if isinstance(exc, NotFound):
        raise Http404(exc.detail) from exc
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.detail) from exc
    messages.error(request, exc.detail)


_REFUSED = object()


def _run(request, call: Callable[[], Any], success: str | Callable[[Any], str]) -> Any:
    """What the call returned (None too), or `_REFUSED` once its refusal is a message."""
    try:
        result = call()
    except DomainError as exc:
        show_refusal(request, exc)
        return _REFUSED
    messages.success(request, success(result) if callable(success) else success)
    return result


def attempt(request, call: Callable[[], Any], success: str | Callable[[Any], str]) -> bool:
    """Run one service call for a page: its refusal becomes a message (NotFound a 404), else `success` is shown
    (a text, or a function of what the call returned). True when the call succeeded."""
    return _run(request, call, success) is not _REFUSED


# Where a form action goes: a URL (or a URL name without arguments), or a function giving it, called only when
# the action goes that way (a URL that needs the valid form, or a lookup that 404s for someone who sees nothing).
Destination = str | Callable[[], str]


def form_action(
    request,
    form,
    call: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    redirect_to: Destination,
    success_to: str | Callable[[Any], str] | None = None,
    invalid: str = "",
    invalid_to: Destination | None = None,
) -> HttpResponseRedirect:
    """A small POST from start to end. `form` (bound to the request, or None when the action takes no input) not
    valid: its errors, or the `invalid` text, as a message, and back to `invalid_to` (default `redirect_to`).
    Otherwise `call()` through `attempt` (so a refusal is a message, NotFound a 404, PermissionDenied a 403) and
    back to `redirect_to`; on success to `success_to` when given (a URL, or a function of what the call
    returned). The view itself holds no branch: `call` closes over the valid form."""
    if form is not None and not form.is_valid():
        messages.error(request, invalid or " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(_url(invalid_to or redirect_to))
    result = _run(request, call, success)
    if result is _REFUSED or success_to is None:
        return redirect(_url(redirect_to))
    return redirect(success_to(result) if callable(success_to) else success_to)


def _url(destination: Destination) -> str:
    return destination() if callable(destination) else destination


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
