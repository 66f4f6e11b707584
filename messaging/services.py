"""Every write to messaging: notifications, conversations and messages."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kernel.errors import DomainError, NotFound
from messaging.models import Conversation, ConversationParticipant, Message, Notification, NotificationPreference

User = get_user_model()


def notify(*, user, kind: str, title: str, body: str = "", url: str = "", reference: str = "") -> Notification:
    """Record an in-app notification for `user` and, after commit, e-mail it if the user's preference allows.

    Safe to call inside the caller's transaction: the e-mail task is queued only once that transaction commits,
    and not at all if it rolls back.
    """
    from messaging import tasks

    notification = Notification.objects.create(
        user=user, kind=kind, title=title[:200], body=body, url=url, reference=reference
    )
    if _wants_email(user=user, kind=kind):
        transaction.on_commit(lambda: tasks.notification_email_send.delay(notification_id=notification.pk))
    return notification


def _wants_email(*, user, kind: str) -> bool:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference is None or preference.wants_email(kind)


@transaction.atomic
def notification_email_preference_set(*, user, kind: str, email: bool) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.email_kinds = {**preference.email_kinds, kind: email}
    preference.save(update_fields=["email_kinds"])
    return preference


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    queryset = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())


@transaction.atomic
def conversation_open(*, reference: str, title: str, participants: list) -> Conversation:
    """The conversation about `reference`, created on first use; idempotent (same reference → same row).

    Participants are added if missing and never removed, so calling it again with more people widens the room.
    """
    conversation, _ = Conversation.objects.get_or_create(reference=reference, defaults={"title": title[:200]})
    existing = set(ConversationParticipant.objects.filter(conversation=conversation).values_list("user_id", flat=True))
    ConversationParticipant.objects.bulk_create(
        [
            ConversationParticipant(conversation=conversation, user=user)
            for user in {u.pk: u for u in participants}.values()
            if user.pk not in existing
        ],
        ignore_conflicts=True,
    )
    return conversation


@transaction.atomic
def message_post(*, conversation_id: int, sender, body: str) -> Message:
    """Post a text message; only a participant may. The body is stored as typed and escaped when shown."""
    body = body.strip()
    if not body:
        raise DomainError("message_empty", "Write something before sending.", status=400)
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
    if (
        conversation is None
        or not ConversationParticipant.objects.filter(conversation=conversation, user=sender).exists()
    ):
        raise NotFound()
    message = Message.objects.create(conversation=conversation, sender=sender, body=body)
    conversation.last_message_at = message.created_at
    conversation.save(update_fields=["last_message_at"])
    ConversationParticipant.objects.filter(conversation=conversation, user=sender).update(
        last_read_at=message.created_at
    )
    return message


@transaction.atomic
def conversation_mark_read(*, conversation_id: int, user) -> None:
    """The user has seen everything in the conversation up to now; not being a participant changes nothing."""
    ConversationParticipant.objects.filter(conversation_id=conversation_id, user=user).update(
        last_read_at=timezone.now()
    )
