"""Every kind of notification, in one registry: what it is called, where it links, and how it is e-mailed.

A service tells someone something with `messaging.services.notify(user=..., kind="milestone_funded", ...)`; the
kind must be listed here (a typo is an error at once, not a silent notification nobody can switch off). The
preferences page and API list these kinds, grouped as below, so a new kind appears there by being added here.

- `title`: the kind's name on the preferences page and in a digest ("Milestone funded").
- `link`: where a notification links when the caller gives no URL: a URL name and the kind of reference whose
  id fills it (`(CONTRACT_PAGE, Kind.CONTRACT)`: reference "contract:7" → /contracts/7/), or a URL name alone.
- `email`: AT_ONCE (sent by the worker right after commit, several at once become one digest), IF_UNREAD (new
  messages: only if still unread after MESSAGE_EMAIL_AFTER_MINUTES), NEVER (in-app only).
- `email_default`: whether a user who never touched the preference gets the e-mail.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.urls import reverse

from kernel.refs import Kind, parse_ref


class Email(StrEnum):
    AT_ONCE = "at_once"
    IF_UNREAD = "if_unread"
    NEVER = "never"


@dataclass(frozen=True)
class NotificationKind:
    key: str
    title: str
    group: str
    link: tuple[str, Kind | None] = ("", None)
    email: Email = Email.AT_ONCE
    email_default: bool = True

    def url_for(self, reference: str) -> str:
        """The page about `reference` for this kind; "" when the reference is not of the kind the link takes."""
        name, ref_kind = self.link
        if not name:
            return ""
        if ref_kind is None:
            return reverse(name)
        parsed = parse_ref(reference)
        return reverse(name, args=[parsed[1]]) if parsed and parsed[0] == ref_kind else ""


_CONTRACT = ("contracts:contract_detail", Kind.CONTRACT)
_PROPOSAL = ("jobs:proposal_detail", Kind.PROPOSAL)
_OFFER = ("contracts:offer_detail", Kind.OFFER)
_JOB = ("jobs:detail", Kind.JOB)
_WALLET = ("payments:wallet", None)
_CONVERSATION = ("messaging:conversation", Kind.CONVERSATION)

_ALL = [
    # Finding work and people
    NotificationKind("job_invitation", "Invitation to a job", "Jobs and proposals", ("jobs:invitations", None)),
    NotificationKind("job_invitation_declined", "Invitation declined", "Jobs and proposals", _JOB),
    NotificationKind("job_closed_by_staff", "Job closed by staff", "Jobs and proposals", _JOB),
    NotificationKind("saved_search_match", "New jobs for a saved search", "Jobs and proposals", ("jobs:search", None)),
    NotificationKind("proposal_received", "Proposal received", "Jobs and proposals", _PROPOSAL),
    NotificationKind("proposal_declined", "Proposal declined", "Jobs and proposals", _PROPOSAL),
    # Offers and contracts
    NotificationKind("offer_received", "Offer received", "Offers and contracts", _OFFER),
    NotificationKind("offer_accepted", "Offer accepted (contract started)", "Offers and contracts", _CONTRACT),
    NotificationKind("offer_declined", "Offer declined", "Offers and contracts", _OFFER),
    NotificationKind("offer_withdrawn", "Offer withdrawn", "Offers and contracts", _OFFER),
    NotificationKind("offer_expired", "Offer expired", "Offers and contracts", _OFFER),
    NotificationKind("contract_started", "Contract started", "Offers and contracts", _CONTRACT),
    NotificationKind("contract_ended", "Contract ended", "Offers and contracts", _CONTRACT),
    NotificationKind("contract_paused", "Contract paused", "Offers and contracts", _CONTRACT),
    NotificationKind("contract_resumed", "Contract resumed", "Offers and contracts", _CONTRACT),
    NotificationKind("contract_terms_changed", "Contract terms changed", "Offers and contracts", _CONTRACT),
    # Fixed-price milestones
    NotificationKind("milestone_added", "Milestone added", "Milestones", _CONTRACT),
    NotificationKind("milestone_funded", "Milestone funded", "Milestones", _CONTRACT),
    NotificationKind("milestone_submitted", "Work submitted", "Milestones", _CONTRACT),
    NotificationKind("milestone_approved", "Milestone approved", "Milestones", _CONTRACT),
    NotificationKind("milestone_changes_requested", "Changes requested", "Milestones", _CONTRACT),
    NotificationKind("milestone_refund_requested", "Refund requested", "Milestones", _CONTRACT),
    NotificationKind("milestone_refunded", "Milestone refunded", "Milestones", _CONTRACT),
    NotificationKind("milestone_refund_agreed", "Refund agreed, on its way", "Milestones", _CONTRACT),
    NotificationKind("milestone_refund_failed", "Refund failed", "Milestones", _CONTRACT),
    NotificationKind("milestone_disputed", "Milestone disputed", "Milestones", _CONTRACT),
    # Hourly work
    NotificationKind("timesheet_closed", "Timesheet closed and invoiced", "Hourly work", _CONTRACT),
    NotificationKind("timesheet_disputed", "Hours disputed", "Hourly work", _CONTRACT),
    NotificationKind("weekly_update", "Weekly update posted", "Hourly work", _CONTRACT, email_default=False),
    NotificationKind("charge_failed", "Payment failed", "Hourly work", _CONTRACT),
    NotificationKind("bonus_paid", "Bonus paid", "Hourly work", _CONTRACT),
    # Money
    NotificationKind("payment_released", "Payment released", "Money", _WALLET),
    NotificationKind("payment_available", "Money available to withdraw", "Money", _WALLET),
    NotificationKind("payout_sent", "Payout sent", "Money", _WALLET),
    NotificationKind("payout_failed", "Payout failed", "Money", _WALLET),
    # Disputes
    NotificationKind("dispute_opened", "Dispute opened", "Disputes", _CONTRACT),
    NotificationKind("dispute_responded", "Dispute answered", "Disputes", _CONTRACT),
    NotificationKind("dispute_settlement_proposed", "Settlement proposed", "Disputes", _CONTRACT),
    NotificationKind("dispute_settled", "Dispute settled", "Disputes", _CONTRACT),
    NotificationKind("dispute_resolved", "Dispute resolved by staff", "Disputes", _CONTRACT),
    # Feedback
    NotificationKind("feedback_requested", "Time to leave feedback", "Feedback", _CONTRACT),
    NotificationKind("feedback_received", "Feedback received", "Feedback", _CONTRACT),
    NotificationKind("feedback_published", "Feedback published", "Feedback", _CONTRACT),
    # Messages and moderation
    NotificationKind("new_message", "New message", "Messages", _CONVERSATION, Email.IF_UNREAD),
    NotificationKind("message_removed", "Message removed by staff", "Messages", _CONVERSATION),
    # Safety: reports and warnings
    NotificationKind("report_reviewed", "Your report was reviewed", "Safety", email_default=False),
    NotificationKind("moderation_warning", "Warning from staff", "Safety"),
]

KINDS: dict[str, NotificationKind] = {kind.key: kind for kind in _ALL}


def kind_of(key: str) -> NotificationKind:
    try:
        return KINDS[key]
    except KeyError:
        raise LookupError(f"Unknown notification kind {key!r}: add it to messaging.kinds") from None


def groups() -> dict[str, list[NotificationKind]]:
    """The kinds a user can switch e-mail for, grouped for the preferences page."""
    grouped: dict[str, list[NotificationKind]] = {}
    for kind in _ALL:
        if kind.email is not Email.NEVER:
            grouped.setdefault(kind.group, []).append(kind)
    return grouped
