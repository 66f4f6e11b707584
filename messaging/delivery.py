"""What the worker does with messaging's outbox rows: the e-mails. Each handler re-reads the rows it is about
and does nothing when the work is done or moot (read already, switched off), so a repeated run sends nothing twice.

E-mails carry the site's own name and absolute links built from SITE_URL, in text and HTML."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kernel import outbox
from messaging import selectors
from messaging.models import ConversationParticipant, Message, Notification
from messaging.services import EMAIL_TOPIC, MESSAGE_EMAIL_TOPIC, wants_email

User = get_user_model()


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path.startswith("/") else path


def send_email(*, user, subject: str, template: str, context: dict) -> None:
    context = {
        **context,
        "user": user,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL.rstrip("/"),
        "preferences_url": absolute(reverse("messaging:preferences")),
    }
    email = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"messaging/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    email.attach_alternative(render_to_string(f"messaging/email/{template}.html", context), "text/html")
    email.send()


@outbox.handler(EMAIL_TOPIC)
def notification_emails(payload: dict) -> None:
    """Every notification of the user waiting for e-mail, in one message: several at once make a digest."""
    user = User.objects.filter(pk=payload["user_id"], is_active=True).first()
    if user is None:
        return
    waiting = list(
        Notification.objects.select_for_update().filter(user=user, email_pending=True).order_by("created_at", "id")
    )
    if not waiting:
        return
    Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(email_pending=False)
    # A kind switched off after the notification was made is not sent.
    waiting = [n for n in waiting if wants_email(user=user, kind=n.kind)]
    if not waiting or not user.email:
        return
    for notification in waiting:
        notification.absolute_url = absolute(notification.url)
    subject = waiting[0].title if len(waiting) == 1 else f"{len(waiting)} updates for you"
    send_email(user=user, subject=subject, template="notifications", context={"notifications": waiting})


@outbox.handler(MESSAGE_EMAIL_TOPIC)
def unread_message_email(payload: dict) -> None:
    """Due MESSAGE_EMAIL_AFTER_MINUTES after a message: e-mail it (with anything else unread in that
    conversation) only if the recipient has still not read it, may still read it, and has not had it already."""
    user = User.objects.filter(pk=payload["user_id"], is_active=True).first()
    message = (
        Message.objects.filter(pk=payload["message_id"], status=Message.Status.VISIBLE)
        .select_related("conversation")
        .first()
    )
    if user is None or message is None or not user.email:
        return
    conversation = message.conversation
    if not selectors.may_read(user, conversation.pk) or not wants_email(user=user, kind="new_message"):
        return
    participant, _ = ConversationParticipant.objects.get_or_create(conversation=conversation, user=user)
    participant = ConversationParticipant.objects.select_for_update().get(pk=participant.pk)
    since = max(filter(None, [participant.last_read_at, participant.emailed_up_to]), default=None)
    if since is not None and since >= message.created_at:
        return
    unread = Message.objects.filter(conversation=conversation, status=Message.Status.VISIBLE).exclude(sender=user)
    if since is not None:
        unread = unread.filter(created_at__gt=since)
    unread = list(unread.select_related("sender").order_by("created_at"))
    participant.emailed_up_to = timezone.now()
    participant.save(update_fields=["emailed_up_to"])
    count = len(unread)
    subject = f"{count} unread message{'s' if count != 1 else ''} in “{conversation.title}”"
    context = {
        "conversation": conversation,
        "unread": unread[-10:],
        "count": count,
        "conversation_url": absolute(reverse("messaging:conversation", args=[conversation.pk])),
    }
    send_email(user=user, subject=subject, template="messages", context=context)
