"""Reads for messaging, scoped to the user asking: a conversation you are not in does not exist for you."""

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from messaging.models import Conversation, ConversationParticipant, Message, Notification


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def conversations_of(user) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(participants__user=user)
        .prefetch_related(Prefetch("participants", queryset=ConversationParticipant.objects.select_related("user")))
        .order_by("-last_message_at", "-created_at", "-id")
    )


def conversations_with_unread_of(user) -> QuerySet[Conversation]:
    """The user's conversations, each with `unread`: messages from others since the user last read it."""
    # Both conditions sit in one filter() so they apply to the same participant row: the asking user's.
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), conversation__participants__user=user)
        .filter(
            Q(conversation__participants__last_read_at__isnull=True)
            | Q(created_at__gt=F("conversation__participants__last_read_at"))
        )
        .exclude(sender=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return conversations_of(user).annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0))


def conversation_get(*, user, conversation_id: int) -> Conversation | None:
    return conversations_of(user).filter(pk=conversation_id).first()


def conversation_by_reference(*, user, reference: str) -> Conversation | None:
    return conversations_of(user).filter(reference=reference).first()


def messages_of(*, conversation: Conversation) -> QuerySet[Message]:
    """Messages of a conversation the caller already obtained through `conversation_get` (so it is theirs)."""
    return Message.objects.filter(conversation=conversation).select_related("sender").order_by("created_at", "id")
