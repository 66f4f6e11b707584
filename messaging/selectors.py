"""Reads for messaging, scoped to the user asking: a conversation you are not in does not exist for you."""

from django.db.models import Prefetch, QuerySet

from messaging.models import Conversation, ConversationParticipant, Message, Notification


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def conversations_of(user) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(participants__user=user)
        .prefetch_related(Prefetch("participants", queryset=ConversationParticipant.objects.select_related("user")))
        .order_by("-last_message_at", "-created_at", "-id")
    )


def conversation_get(*, user, conversation_id: int) -> Conversation | None:
    return conversations_of(user).filter(pk=conversation_id).first()


def conversation_by_reference(*, user, reference: str) -> Conversation | None:
    return conversations_of(user).filter(reference=reference).first()


def messages_of(*, conversation: Conversation) -> QuerySet[Message]:
    """Messages of a conversation the caller already obtained through `conversation_get` (so it is theirs)."""
    return Message.objects.filter(conversation=conversation).select_related("sender").order_by("created_at", "id")
