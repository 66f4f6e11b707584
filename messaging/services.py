"""Every write to messaging: notifications and their e-mails, conversations, messages, reports and moderation.

Side effects leave through the outbox (e-mails) and `messaging.events` (live updates), both after commit, so a
caller's transaction may notify freely: nothing is sent if it rolls back, and a broker outage only delays."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import FreelancerProfile
from accounts.permissions import OrgPerm
from accounts.services.moderation import account_suspend, profile_hide
from kernel import audit, outbox
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kernel.permissions import may_moderate
from kernel.refs import Kind, parse_ref, ref
from kernel.transitions import lock, transition
from kernel.uploads import check_upload
from messaging import events, reports, selectors
from messaging.contact import off_platform_contact
from messaging.kinds import KINDS, Email, kind_of
from messaging.models import (
    Conversation,
    ConversationParticipant,
    Message,
    MessageAttachment,
    Notification,
    NotificationPreference,
    Report,
)

User = get_user_model()
logger = logging.getLogger(__name__)

EMAIL_TOPIC = "messaging.notification_email"
MESSAGE_EMAIL_TOPIC = "messaging.message_email"

# --- Notifications ---


def notify(*, user, kind: str, title: str, body: str = "", url: str = "", reference: str = "") -> Notification:
    """Tell `user` something: an in-app notification now, an e-mail after commit if the kind and the user's
    preference call for one. `kind` must be in `messaging.kinds`; without `url` the kind's link is used.

    Safe inside the caller's transaction: the e-mail is an outbox row committed with it (a broker outage delays
    it, a rollback drops it) and the bell's live update is sent after commit."""
    spec = kind_of(kind)
    email = spec.email is Email.AT_ONCE and wants_email(user=user, kind=kind)
    notification = Notification.objects.create(
        user=user,
        kind=kind,
        title=title[:200],
        body=body,
        url=url or spec.url_for(reference),
        reference=reference,
        email_pending=email,
    )
    if email:
        outbox.enqueue(EMAIL_TOPIC, {"user_id": user.pk})
    events.to_user_on_commit(user.pk, {"type": "bell"})
    return notification


def wants_email(*, user, kind: str) -> bool:
    spec = kind_of(kind)
    if spec.email is Email.NEVER:
        return False
    preference = NotificationPreference.objects.filter(user=user).first()
    chosen = preference.email_kinds.get(kind) if preference else None
    return spec.email_default if chosen is None else bool(chosen)


def email_preferences_of(user) -> dict[str, bool]:
    """Every kind a user can be e-mailed about, with the current choice (the default where none was made)."""
    return {key: wants_email(user=user, kind=key) for key, spec in KINDS.items() if spec.email is not Email.NEVER}


@transaction.atomic
def notification_preferences_set(*, user, email: dict[str, bool]) -> dict[str, bool]:
    """Set e-mail on or off per kind; kinds not named keep their setting. An unknown kind is bad input."""
    unknown = [key for key in email if key not in KINDS or KINDS[key].email is Email.NEVER]
    if unknown:
        raise InvalidInput(
            "unknown_kind", "Some kinds do not exist.", errors={"email": [f"Unknown kind: {k}" for k in unknown]}
        )
    preference, _ = NotificationPreference.objects.get_or_create(user=user)
    preference = NotificationPreference.objects.select_for_update().get(pk=preference.pk)
    preference.email_kinds = {**preference.email_kinds, **{k: bool(v) for k, v in email.items()}}
    preference.save(update_fields=["email_kinds"])
    return email_preferences_of(user)


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them without `ids`); returns how many changed."""
    queryset = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    marked = queryset.update(read_at=timezone.now())
    if marked:
        events.to_user_on_commit(user.pk, {"type": "bell"})
    return marked


# --- Conversations ---

_PERM_FOR = {Kind.PROPOSAL: OrgPerm.HIRE, Kind.CONTRACT: OrgPerm.VIEW}


@transaction.atomic
def conversation_open(*, reference: str, title: str, organization_id: int, freelancer) -> Conversation:
    """The conversation about a proposal or contract (`reference` from kernel.refs), created on first call and
    the same row after. Who reads it follows the right to see what it is about: the freelancer and the members
    of `organization_id` who review proposals (a proposal) or see contracts (a contract)."""
    parsed = parse_ref(reference)
    if parsed is None or parsed[0] not in _PERM_FOR:
        raise ValueError(f"A conversation is about a proposal or a contract, not {reference!r}")
    conversation, _ = Conversation.objects.get_or_create(
        reference=reference,
        defaults={
            "kind": parsed[0].value,
            "title": title[:200],
            "organization_id": organization_id,
            "freelancer": freelancer,
            "org_perm": _PERM_FOR[parsed[0]].value,
        },
    )
    return conversation


def _share_work(a, b) -> bool:
    """Two people share a job or a contract when both may read one proposal or contract conversation."""
    return (
        selectors.conversations_of(a)
        .exclude(kind=Conversation.Kind.DIRECT)
        .filter(pk__in=selectors.conversations_of(b).values("pk"))
        .exists()
    )


@transaction.atomic
def direct_conversation_open(*, user, other_id: int) -> Conversation:
    """A direct conversation between two people who have a job or contract in common; anyone else is a 404."""
    other = User.objects.filter(pk=other_id, is_active=True).first()
    if other is None or other.pk == user.pk or not _share_work(user, other):
        raise NotFound()
    low, high = sorted([user.pk, other.pk])
    conversation, created = Conversation.objects.get_or_create(
        direct_key=f"{low}:{high}",
        defaults={"kind": Conversation.Kind.DIRECT, "title": f"{user.display_name} and {other.display_name}"},
    )
    if created:
        ConversationParticipant.objects.bulk_create(
            [ConversationParticipant(conversation=conversation, user=u) for u in (user, other)]
        )
    return conversation


def _participant(conversation: Conversation, user) -> ConversationParticipant:
    participant, _ = ConversationParticipant.objects.get_or_create(conversation=conversation, user=user)
    return participant


def _contract_between_sides(conversation: Conversation) -> bool:
    """Is there a contract between the two sides of this conversation? Until there is, contact details wait."""
    if conversation.kind == Conversation.Kind.CONTRACT:
        return True
    contracts = Conversation.objects.filter(kind=Conversation.Kind.CONTRACT)
    if conversation.kind == Conversation.Kind.PROPOSAL and conversation.organization_id is not None:
        return contracts.filter(
            organization_id=conversation.organization_id, freelancer_id=conversation.freelancer_id
        ).exists()
    a, b = list(selectors.people_in(conversation))
    both = selectors.conversations_of(a).filter(pk__in=selectors.conversations_of(b).values("pk"))
    return both.filter(kind=Conversation.Kind.CONTRACT).exists()


def _check_rate(user, *, name: str, limit: int, seconds: int, detail: str) -> None:
    """At most `limit` actions called `name` per user in each `seconds`-long period. The counter lives in the
    cache; if the cache is down the limit is skipped (logged) rather than refusing every action."""
    key = f"messaging:rate:{name}:{user.pk}:{int(timezone.now().timestamp() // seconds)}"
    try:
        cache.add(key, 0, timeout=seconds + 30)
        count = cache.incr(key)
    except Exception:
        logger.warning("%s rate limit skipped: cache unavailable", name, exc_info=True)
        return
    if count > limit:
        raise DomainError(f"{name}_rate_limited", detail, status=429)


@transaction.atomic
def message_post(*, conversation_id: int, sender, body: str, files=()) -> Message:
    """Post a message (text, files or both). Only someone who may read the conversation now may post. Before a
    contract exists between the sides, a message with contact details is held back (`status=held`, with
    `held_reason`): only the sender and staff see it. The text is stored as typed and escaped when shown."""
    body = (body or "").strip()
    files = list(files)
    if not body and not files:
        raise InvalidInput("message_empty", "Write something or attach a file before sending.")
    if "\x00" in body:
        raise InvalidInput("message_invalid", "The message holds characters we cannot store.")
    if len(files) > settings.MAX_MESSAGE_FILES:
        raise InvalidInput("too_many_files", f"Attach at most {settings.MAX_MESSAGE_FILES} files to one message.")
    if not selectors.may_read(sender, conversation_id):
        raise NotFound()
    conversation = lock(Conversation.objects.all(), pk=conversation_id)
    types = [check_upload(f) for f in files]
    _check_rate(
        sender,
        name="message",
        limit=settings.MESSAGES_PER_MINUTE,
        seconds=60,
        detail=f"You are sending messages very fast: at most {settings.MESSAGES_PER_MINUTE} a minute. Wait a moment.",
    )
    what = off_platform_contact(body) if not _contract_between_sides(conversation) else None
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        body=body,
        status=Message.Status.HELD if what else Message.Status.VISIBLE,
        held_reason=what or "",
    )
    MessageAttachment.objects.bulk_create(
        [
            MessageAttachment(message=message, file=f, name=f.name[:200], content_type=t, size=f.size)
            for f, t in zip(files, types, strict=True)
        ]
    )
    ConversationParticipant.objects.filter(pk=_participant(conversation, sender).pk).update(
        last_read_at=message.created_at
    )
    if what:
        return message
    conversation.last_message_at = message.created_at
    conversation.save(update_fields=["last_message_at"])
    _tell_recipients(conversation, message)
    events.to_conversation_on_commit(conversation.pk, {"type": "message", "id": message.pk, "sender": sender.pk})
    return message


def _tell_recipients(conversation: Conversation, message: Message) -> None:
    url = reverse("messaging:conversation", args=[conversation.pk])
    preview = message.body[:200] or "Sent a file."
    for user in selectors.people_in(conversation).exclude(pk=message.sender_id):
        _unread_message_notification(user, conversation, message, url, preview)
        if wants_email(user=user, kind="new_message"):
            outbox.enqueue(
                MESSAGE_EMAIL_TOPIC,
                {"user_id": user.pk, "message_id": message.pk},
                delay=timedelta(minutes=settings.MESSAGE_EMAIL_AFTER_MINUTES),
            )


def _unread_message_notification(user, conversation, message, url, preview) -> None:
    """One unread bell entry per conversation, refreshed by each new message (a busy thread is one line)."""
    reference = ref(Kind.CONVERSATION, conversation.pk)
    title = f"{message.sender.display_name} in “{conversation.title}”"[:200]
    updated = Notification.objects.filter(
        user=user, kind="new_message", reference=reference, read_at__isnull=True
    ).update(title=title, body=preview, created_at=message.created_at)
    if updated:
        events.to_user_on_commit(user.pk, {"type": "bell"})
    else:
        notify(user=user, kind="new_message", title=title, body=preview, url=url, reference=reference)


@transaction.atomic
def conversation_mark_read(*, conversation_id: int, user) -> None:
    """The user has seen everything in the conversation up to now; the others see the read receipt live."""
    conversation = selectors.conversation_get(user=user, conversation_id=conversation_id)
    if conversation is None:
        raise NotFound()
    now = timezone.now()
    participant = _participant(conversation, user)
    ConversationParticipant.objects.filter(pk=participant.pk).update(last_read_at=now)
    Notification.objects.filter(
        user=user, kind="new_message", reference=ref(Kind.CONVERSATION, conversation.pk), read_at__isnull=True
    ).update(read_at=now)
    events.to_user_on_commit(user.pk, {"type": "bell"})
    events.to_conversation_on_commit(
        conversation.pk, {"type": "read", "user": user.pk, "name": user.display_name, "at": now.isoformat()}
    )


# --- Reports and moderation ---


@transaction.atomic
def report_create(*, reporter, kind: str, target_id: int, category: str, reason: str) -> Report:
    """A signed-in user tells staff that a job, a profile or a message they can see breaks the rules. What it says
    and who is answerable for it are copied onto the report. One open report per thing and reporter; at most
    REPORTS_PER_DAY a day."""
    reason = (reason or "").strip()
    errors = {}
    if category not in Report.Category.values:
        errors["category"] = ["Choose what is wrong."]
    if not reason:
        errors["reason"] = ["Say what is wrong, so staff know what to look for."]
    try:
        found = selectors.reportable_for(reporter, kind, target_id)
    except LookupError:
        errors["kind"] = [f"Choose one of: {', '.join(reports.kinds())}."]
    if errors:
        raise InvalidInput("report_invalid", errors=errors)
    if found is None:
        raise NotFound()
    if found.own:
        raise DomainError("own_content", "You cannot report your own content.")
    _check_rate(
        reporter,
        name="report",
        limit=settings.REPORTS_PER_DAY,
        seconds=24 * 3600,
        detail=f"You can send at most {settings.REPORTS_PER_DAY} reports a day. Staff will read the ones you sent.",
    )
    try:
        with transaction.atomic():
            return Report.objects.create(
                target=ref(kind, target_id),
                reporter=reporter,
                category=category,
                reason=reason[:2000],
                subject_title=found.title[:200],
                subject_text=found.text[:10_000],
                subject_author=found.author,
            )
    except IntegrityError:
        raise DomainError("already_reported", "You already reported this; staff will look at it.") from None


@transaction.atomic
def report_resolve(*, staff, report_id: int, outcome: str, reason: str) -> list[Report]:
    """Staff close a report, and every other open report on the same thing, with one outcome:
    - hidden: the thing is hidden through its owner's service (a message removed, a job closed, a profile taken out
      of search), which tells its author why; already hidden is fine;
    - warned: its author is told, in a notification and an e-mail, which rule they broke;
    - suspended: its author's account is suspended (accounts.services.moderation, which e-mails them);
    - dismissed: no rule was broken.
    Recorded in the audit trail; each reporter is told their report was reviewed (not what happened to someone
    else's account). Returns the reports closed."""
    if not may_moderate(staff):
        raise PermissionDenied("Only staff who may moderate can close reports.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason_required", "Give the reason.", errors={"reason": ["Required."]})
    if outcome not in Report.ALLOWED[Report.Status.OPEN]:
        raise InvalidInput("outcome_invalid", "Choose hide, warn, suspend or dismiss.")
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        raise NotFound()
    # Every report on the thing, in id order: two staff closing two of them at once wait for each other.
    reports_on_it = list(Report.objects.select_for_update().filter(target=report.target).order_by("pk"))
    report = next(row for row in reports_on_it if row.pk == report_id)
    if not report.is_open:
        raise DomainError("report_closed", f"This report was already closed ({report.get_status_display()}).")
    author = report.subject_author
    if author is not None and author.pk == staff.pk:
        raise DomainError("own_content", "The report is about your own content: another staff member must decide.")
    _act_on_report(staff=staff, report=report, outcome=outcome, reason=reason)
    closed = [row for row in reports_on_it if row.is_open]
    now = timezone.now()
    for row in closed:
        transition(row, outcome, actor=staff, resolved_at=now, resolved_by=staff, resolution_note=reason)
        notify(
            user=row.reporter,
            kind="report_reviewed",
            title=f"We reviewed your report about {row.subject_title}",
            body=_REVIEWED[Report.Status(outcome)],
            reference=row.target,
        )
    audit.record(
        actor=staff,
        action=f"report_{outcome}",
        target=report.target,
        reason=reason,
        data={"reports": [row.pk for row in closed]},
    )
    return closed


_REVIEWED = {
    Report.Status.HIDDEN: "It broke our rules and we took it down. Thank you for telling us.",
    Report.Status.WARNED: "It broke our rules and we acted on it. Thank you for telling us.",
    Report.Status.SUSPENDED: "It broke our rules and we acted on it. Thank you for telling us.",
    Report.Status.DISMISSED: "We looked at it and found that it does not break our rules. Thank you for telling us.",
}


def _act_on_report(*, staff, report: Report, outcome: str, reason: str) -> None:
    kind, pk = report.kind_and_pk
    author = report.subject_author
    if outcome == Report.Status.HIDDEN:
        reports.reportable(kind).hide(staff=staff, pk=pk, reason=reason)
    elif outcome == Report.Status.DISMISSED:
        return
    elif author is None:
        raise DomainError("no_author", "Nobody is answerable for this any more (the account was deleted).")
    elif outcome == Report.Status.WARNED:
        notify(
            user=author,
            kind="moderation_warning",
            title=f"A warning from {settings.SITE_NAME} staff about your {kind}",
            body=f"About {report.subject_title}: {reason}\n\nIf it happens again, your account may be suspended.",
            reference=report.target,
        )
        audit.record(actor=staff, action="user_warned", target=ref(Kind.USER, author.pk), reason=reason)
    elif outcome == Report.Status.SUSPENDED:
        account_suspend(staff=staff, user_id=author.pk, reason=reason)


@transaction.atomic
def message_remove(*, message_id: int, staff, reason: str) -> Message:
    """Staff hide a message: participants then see that it was removed. Recorded in the audit trail; the
    sender is told why. (Reports on it are closed in the moderation queue: `report_resolve`.)"""
    if not may_moderate(staff):
        raise PermissionDenied("Only staff who may moderate can remove messages.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason_required", "Give the reason for removing the message.")
    message = lock(Message.objects.select_related("conversation"), pk=message_id)
    transition(message, Message.Status.REMOVED, actor=staff, note=reason)
    audit.record(actor=staff, action="message_removed", target=ref(Kind.MESSAGE, message.pk), reason=reason)
    if message.sender is not None:
        notify(
            user=message.sender,
            kind="message_removed",
            title=f"Staff removed one of your messages in “{message.conversation.title}”",
            body=reason,
            url=reverse("messaging:conversation", args=[message.conversation_id]),
            reference=ref(Kind.MESSAGE, message.pk),
        )
    events.to_conversation_on_commit(message.conversation_id, {"type": "removed", "id": message.pk})
    return message


# --- What can be reported: messages, and freelancer profiles (accounts sits below messaging) ---


def _message_hide(*, staff, pk: int, reason: str) -> None:
    if not Message.objects.filter(pk=pk, status=Message.Status.REMOVED).exists():
        message_remove(message_id=pk, staff=staff, reason=reason)


def _profile_hide(*, staff, pk: int, reason: str) -> None:
    if not FreelancerProfile.objects.filter(pk=pk, hidden_at__isnull=False).exists():
        profile_hide(staff=staff, profile_id=pk, reason=reason)


reports.register(
    Kind.MESSAGE,
    model=Message,
    find=selectors.message_as_reported,
    hide=_message_hide,
    hide_label="Remove the message (participants see that it was removed)",
)
reports.register(
    Kind.PROFILE,
    model=FreelancerProfile,
    find=selectors.profile_as_reported,
    hide=_profile_hide,
    hide_label="Hide the profile from search and public pages",
)
