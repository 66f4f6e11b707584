"""The outbox (DESIGN.md): side effects after commit survive a broker outage.

A service calls `enqueue(topic, payload)` inside its transaction; the row commits or rolls back with the business
change. After commit a nudge asks the worker to drain at once; if the broker is down the nudge is only logged (the
request that already succeeded stays a success), and the beat schedule's periodic drain delivers it later. A row
with `delay` waits that long before it is due (the "still unread after 10 minutes" e-mail).

Handlers are registered per topic by the app that owns the effect (`@outbox.handler("messaging.email")`). They run
at least once: a handler must be idempotent (re-fetch by id, return when the work is already done).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kernel.models import OutboxMessage

logger = logging.getLogger(__name__)
Handler = Callable[[dict], None]
_handlers: dict[str, Handler] = {}


def handler(topic: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        _handlers[topic] = function
        return function

    return register


def enqueue(topic: str, payload: dict, *, delay: timedelta | None = None) -> OutboxMessage:
    """Write the side effect in the caller's transaction; it runs after commit (or after `delay`)."""
    if topic not in _handlers:
        raise LookupError(f"No outbox handler for {topic!r}")
    due = timezone.now() + (delay or timedelta())
    row = OutboxMessage.objects.create(topic=topic, payload=payload, available_at=due)
    if not delay:
        transaction.on_commit(nudge)
    return row


def nudge() -> None:
    """Ask the worker to drain now. Never raises: with the broker down the beat drain is the way out."""
    from kernel.tasks import outbox_drain

    try:
        # One attempt, no publish retries: a committed request must not wait on a broker that is away.
        outbox_drain.apply_async(retry=False)
    except Exception:  # any broker failure (connection refused, timeout): the row waits in the table
        logger.warning("outbox: could not reach the broker; the periodic drain will deliver", exc_info=True)


def drain(*, limit: int = 200, now: datetime | None = None) -> int:
    """Run due rows, one transaction each (`skip_locked`, so several workers share the work). Returns how many
    rows were handled, delivered or not. A failing row is retried with a growing delay, then given up."""
    handled = 0
    while handled < limit:
        with transaction.atomic():
            row = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(given_up_at__isnull=True, available_at__lte=now or timezone.now())
                .order_by("available_at", "id")
                .first()
            )
            if row is None:
                return handled
            _run(row)
        handled += 1
    return handled


def _run(row: OutboxMessage) -> None:
    try:
        with transaction.atomic():
            _handlers[row.topic](row.payload)
    except Exception as exc:
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            row.given_up_at = timezone.now()
            logger.error("outbox: gave up on %s after %d attempts", row, row.attempts, exc_info=True)
        else:
            row.available_at = timezone.now() + timedelta(seconds=min(2**row.attempts * 15, 3600))
            logger.warning("outbox: %s failed (attempt %d), retrying later", row, row.attempts, exc_info=True)
        row.save(update_fields=["attempts", "last_error", "given_up_at", "available_at"])
    else:
        row.delete()
