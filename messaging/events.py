"""Real-time events: small JSON dicts sent to channel-layer groups, only after the change that caused them
commits (Zulip's `send_event_on_commit`). Services call these; consumers only forward what arrives.

Groups: `conversation.<id>` (everyone with the conversation open) and `user.<id>` (every page of that user, for the
bell). An event never carries message text: the page fetches what it may see through the same views as the
polling fallback, so what arrives live is exactly what a reload would show."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{int(conversation_id)}"


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def to_conversation_on_commit(conversation_id: int, event: dict) -> None:
    _on_commit(conversation_group(conversation_id), {**event, "conversation": conversation_id})


def to_user_on_commit(user_id: int, event: dict) -> None:
    _on_commit(user_group(user_id), event)


def _on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: _send(group, event))


def _send(group: str, event: dict) -> None:
    # A layer outage loses a live update, never data: the page's polling fallback catches up.
    try:
        async_to_sync(get_channel_layer().group_send)(group, {"type": "forward", "event": event})
    except Exception:
        logger.warning("live event to %s not delivered", group, exc_info=True)
