"""Idempotency keys for money-moving requests, from the API's `Idempotency-Key` header or a page form.

The client picks the key; we scope it to the user and the action before it reaches a service, so two users (or
one user's payout and fund requests) can never collide on a key. A service given the same scoped key twice
returns its first result; given it with a different body it raises DomainError("idempotency_conflict") → 409.
"""

import uuid

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from kernel.errors import DomainError

HEADER = "Idempotency-Key"
MAX_LENGTH = 200

# Put on every API action that moves money: @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER]).
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A unique key per intended operation (a UUID). Repeating it returns the first result and moves "
    "no money again; reusing it with a different body is 409 idempotency_conflict.",
)


def _valid(key: str) -> bool:
    return 0 < len(key) <= MAX_LENGTH and key.isprintable() and key.isascii()


def scoped_key(*, user, action: str, key: str) -> str:
    """The key a service stores: the user's own key, namespaced by who sent it and what for."""
    if not _valid(key):
        raise DomainError(
            "idempotency_key_invalid",
            f"The idempotency key must be 1 to {MAX_LENGTH} printable ASCII characters.",
            status=400,
        )
    return f"{action}:u{user.pk}:{key}"


def idempotency_key_from_request(request, *, action: str) -> str:
    """Read the `Idempotency-Key` header of an API request (400 when missing or malformed) and scope it."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise DomainError("idempotency_key_required", f"Send an {HEADER} header with this request.", status=400)
    return scoped_key(user=request.user, action=action, key=key)


class IdempotencyKeyField(forms.CharField):
    """A hidden form field holding a key generated when the form was rendered: a double submit of the same
    rendered form carries the same key, so it moves money once."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        kwargs.setdefault("initial", lambda: uuid.uuid4().hex)
        super().__init__(**kwargs)
