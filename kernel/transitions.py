"""The one way a status changes, in every app (django-oscar's `set_status`, as a service-layer helper).

A stateful model declares, beside its `Status` choices:
- `ALLOWED = {status: {next statuses}}`: the transition table;
- optionally `HISTORY = "events"`: the reverse name of its history rows (`from_status`, `to_status`, `actor`, `note`),
  one written per change.

Services lock the row (`lock`), then call `transition`. Which of the allowed moves a given person may make is a rule
of the app that owns the model: it registers one function with `register_actors`, and pages and serializers ask
`allowed_transitions(obj, actor)` instead of re-deriving the map.
"""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models, transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.errors import DomainError, NotFound

M = TypeVar("M", bound=models.Model)
ActorRule = Callable[[Any, Any], Iterable[str]]  # (the model's instance, the acting user or None) → statuses
_actor_rules: dict[type[models.Model], ActorRule] = {}


def lock(queryset: "models.QuerySet[M] | models.Manager[M]", **lookup) -> M:
    """The one row `lookup` names, locked until the transaction ends (`select_for_update` on that table only);
    NotFound when there is none. Call inside `transaction.atomic()`."""
    row = queryset.select_for_update(of=("self",)).filter(**lookup).first()  # type: ignore[misc]
    if row is None:
        raise NotFound()
    return row


def transition(
    obj: Any,
    to: str,
    *,
    actor=None,
    note: str = "",
    refusal: tuple[str, str] | None = None,
    **fields,
) -> str:
    """Move `obj` (locked by the caller: see `lock`) to `to`, set `fields`, save only what changed and write its
    history row. Returns the status it had. An illegal move is a DomainError (409): `refusal` gives its code and
    text when the caller has a clearer one than "invalid_transition"."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside transaction.atomic() on a locked row")
    from_status = obj.status
    if to not in obj.ALLOWED.get(from_status, ()):
        code, detail = refusal or ("invalid_transition", "")
        label = obj.get_status_display().lower()
        raise DomainError(code, detail or f"This {obj._meta.verbose_name} is {label}: it cannot become {to}.")
    obj.status = to
    for name, value in fields.items():
        setattr(obj, name, value)
    update_fields = ["status", *fields]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        update_fields.append("updated_at")
    obj.save(update_fields=update_fields)
    history = getattr(obj, "HISTORY", None)
    if history:
        getattr(obj, history).create(from_status=from_status, to_status=to, actor=actor, note=note)
    return from_status


def register_actors(model: type[models.Model], rule: ActorRule) -> None:
    """`rule(obj, actor)` names the statuses `actor` may move `obj` to, whatever the current status allows."""
    _actor_rules[model] = rule


def allowed_transitions(obj: Any, actor) -> set[str]:
    """The moves `actor` may make on `obj` now: the table's next statuses that the owning app's rule grants."""
    possible = set(obj.ALLOWED.get(obj.status, ()))
    rule = _actor_rules.get(type(obj))
    return possible & set(rule(obj, actor)) if rule else possible


@extend_schema_field(serializers.ListField(child=serializers.CharField(), read_only=True))
class AllowedTransitionsField(serializers.Field):
    """Read-only API field: the sorted statuses the requesting user may move this object to now."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> list[str]:
        user = getattr(self.context.get("request"), "user", None)
        return sorted(allowed_transitions(value, user)) if user is not None else []
