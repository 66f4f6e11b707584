"""What users can report to staff, in one registry: each kind of reportable thing says how to find it for the
person reporting and how staff hide it. The app that owns the thing registers it (jobs registers jobs; messaging
registers profiles, since accounts sits below messaging, and its own messages), so the report services and the
moderation queue never import a higher app."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from kernel.refs import Kind


@dataclass(frozen=True)
class Reported:
    """One thing as the person reporting it sees it; copied onto the report for staff."""

    title: str  # "Job “Logo for a bakery”"
    text: str  # what staff judge: the job's description, the profile's overview, the message
    author: Any  # the account answerable for it (a warning or a suspension reaches it), or None
    own: bool  # the person reporting is answerable for it themselves


@dataclass(frozen=True)
class Reportable:
    kind: Kind
    model: type[models.Model]
    # (user, pk) → what that user sees, or None when it does not exist for them.
    find: Callable[[Any, int], Reported | None]
    # hide(staff=, pk=, reason=): through the owning app's service, which records it and tells the author why.
    hide: Callable[..., Any]
    hide_label: str  # what hiding does, for staff: "Close the job"


_registry: dict[Kind, Reportable] = {}


def register(kind: Kind, *, model: type[models.Model], find, hide, hide_label: str) -> None:
    _registry[kind] = Reportable(kind=kind, model=model, find=find, hide=hide, hide_label=hide_label)


def reportable(kind: str) -> Reportable:
    """LookupError for a kind nobody registered (a string from a request, say)."""
    try:
        return _registry[Kind(kind)]
    except (ValueError, KeyError):
        raise LookupError(f"{kind!r} cannot be reported") from None


def kinds() -> list[Kind]:
    return sorted(_registry)
