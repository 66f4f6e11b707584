from celery import shared_task

from kernel import outbox


@shared_task
def outbox_drain() -> int:
    """Nudged after each commit that wrote to the outbox, and run by beat so nothing waits on a lost nudge."""
    return outbox.drain()
