"""Reads for messaging, scoped to the user asking: a conversation you may not read does not exist for you.

Who may read is decided at each call from the current state (issue 14 item 4): the freelancer of a proposal or
contract conversation, the members of its organization whose role has the conversation's permission (a member
removed from the organization loses access at once, one who joins later gains it), and the two people of a
direct conversation."""

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Substr

from accounts.permissions import OrgPerm, organization_ids_with
from accounts.selectors import members_with, public_profile
from kernel.errors import NotFound
from kernel.refs import MAX_PK
from messaging import reports
from messaging.models import Conversation, ConversationParticipant, Message, MessageAttachment, Notification, Report
from messaging.reports import Reported

User = get_user_model()


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def _readable(user) -> Q:
    if not user.is_authenticated:
        return Q(pk__in=[])
    direct = ConversationParticipant.objects.filter(user=user, conversation__kind=Conversation.Kind.DIRECT)
    readable = Q(kind=Conversation.Kind.DIRECT, pk__in=direct.values("conversation_id"))
    readable |= Q(freelancer=user) & ~Q(kind=Conversation.Kind.DIRECT)
    for perm in {OrgPerm.VIEW, OrgPerm.HIRE}:
        readable |= Q(org_perm=perm, organization_id__in=organization_ids_with(user, perm))
    return readable


def conversations_of(user) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(_readable(user))
        .select_related("organization", "freelancer")
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "-id")
    )


def may_read(user, conversation_id: int) -> bool:
    return conversations_of(user).filter(pk=conversation_id).exists()


def conversation_get(*, user, conversation_id: int) -> Conversation | None:
    return conversations_of(user).filter(pk=conversation_id).first()


def conversation_by_reference(*, user, reference: str) -> Conversation | None:
    return conversations_of(user).filter(reference=reference).first()


def people_in(conversation: Conversation) -> QuerySet:
    """Everyone who may read `conversation` now (who hears about its messages)."""
    if conversation.kind == Conversation.Kind.DIRECT:
        return User.objects.filter(conversations__conversation=conversation)
    organization_id, freelancer_id = conversation.organization_id, conversation.freelancer_id
    assert organization_id is not None and freelancer_id is not None  # set on every other kind (a CheckConstraint)
    members = members_with(organization_id=organization_id, perm=OrgPerm(conversation.org_perm))
    return (members | User.objects.filter(pk=freelancer_id)).distinct()


def _last_read(user):
    return ConversationParticipant.objects.filter(conversation=OuterRef("pk"), user=user).values("last_read_at")[:1]


def inbox_of(user, *, q: str = "") -> QuerySet[Conversation]:
    """The inbox: each conversation with `unread` (messages from others since the user last read it) and
    `preview` (the latest visible message), unread first, then the most recent. `q` searches titles and texts."""
    latest = Message.objects.filter(conversation=OuterRef("pk"), status=Message.Status.VISIBLE).order_by("-created_at")
    conversations = (
        conversations_of(user)
        .annotate(my_last_read=Subquery(_last_read(user)))
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__status=Message.Status.VISIBLE)
                & ~Q(messages__sender_id=user.pk)
                & (Q(my_last_read__isnull=True) | Q(messages__created_at__gt=F("my_last_read"))),
            ),
            preview=Subquery(latest.annotate(short=Substr("body", 1, 140)).values("short")[:1]),
        )
        .prefetch_related(Prefetch("participants", queryset=ConversationParticipant.objects.select_related("user")))
    )
    if q:
        matching = Message.objects.filter(status=Message.Status.VISIBLE, body__icontains=q).values("conversation_id")
        conversations = conversations.filter(Q(title__icontains=q) | Q(pk__in=matching))
    unread_first = Case(When(unread__gt=0, then=Value(0)), default=Value(1))
    return conversations.order_by(unread_first, F("last_message_at").desc(nulls_last=True), "-created_at", "-id")


def messages_of(*, conversation: Conversation, user, after_id: int = 0) -> QuerySet[Message]:
    """The messages `user` sees in a conversation obtained through `conversation_get`: visible and removed ones
    (shown as removed), and the user's own held-back messages (with why)."""
    shown = Q(status__in=[Message.Status.VISIBLE, Message.Status.REMOVED]) | Q(sender=user)
    return (
        Message.objects.filter(shown, conversation=conversation, pk__gt=after_id)
        .select_related("sender")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def seen_by(*, conversation: Conversation, user) -> list[str]:
    """Who else has read up to the user's latest message (the read receipt under it)."""
    mine = Message.objects.filter(conversation=conversation, sender=user).order_by("-created_at").first()
    if mine is None:
        return []
    readers = ConversationParticipant.objects.filter(conversation=conversation, last_read_at__gte=mine.created_at)
    return [p.user.display_name for p in readers.exclude(user=user).select_related("user")]


def message_attachments_readable_by(user) -> QuerySet[MessageAttachment]:
    """Files of messages the user sees, in conversations the user may read now (kernel.files serves them): never
    those of a removed message, nor of someone else's held-back one."""
    seen = Q(message__status=Message.Status.VISIBLE) | Q(message__sender=user, message__status=Message.Status.HELD)
    return MessageAttachment.objects.filter(seen, message__conversation__in=conversations_of(user).values("pk"))


# --- What a user can report (messaging.reports) ---


def reportable_for(user, kind: str, pk: int) -> Reported | None:
    """What `user` would report as `kind` `pk`, or None if it does not exist for them. LookupError for a kind
    that cannot be reported."""
    reportable = reports.reportable(kind)
    if not user.is_authenticated or not 0 < pk <= MAX_PK:
        return None
    return reportable.find(user, pk)


def message_as_reported(user, pk: int) -> Reported | None:
    message = Message.objects.select_related("sender", "conversation").filter(pk=pk, status=Message.Status.VISIBLE)
    found = message.first()
    if found is None or not may_read(user, found.conversation_id):
        return None
    sender = found.sender
    name = sender.display_name if sender else "a deleted account"
    return Reported(
        title=f"a message from {name} in “{found.conversation.title}”",
        text=found.body,
        author=sender,
        own=sender is not None and sender.pk == user.pk,
    )


def profile_as_reported(user, pk: int) -> Reported | None:
    try:
        profile = public_profile(pk)
    except NotFound:
        return None
    return Reported(
        title=f"the profile of {profile.user.display_name}",
        text=f"{profile.headline}\n\n{profile.overview}",
        author=profile.user,
        own=profile.user_id == user.pk,
    )


def reports_of(user) -> QuerySet[Report]:
    """The reports a user made (what staff decided about someone else is not theirs to read)."""
    return Report.objects.filter(reporter=user).order_by("-created_at", "-id")
