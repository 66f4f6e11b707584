"""Demo contracts for `make run` (seed_demo steps) between client@demo.test's organization and
freelancer@demo.test:

- fixed price: an active contract, its first milestone funded into escrow with a sandbox card;
- hourly: an active contract with a paid week two weeks back (closed, charged, invoiced, released) and a few
  entries logged in the current week.

Everything goes through the services, as a user would; the hourly history is made by passing the services the
moment each step happened (`now`), as the billing worker does. Idempotent: a contract of a kind the two already
share is not made again.
"""

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from accounts.models import Membership, Organization, Role, User
from contracts.models import Contract, ContractType
from contracts.services import billing, milestones, offers, time_entries
from contracts.services.offers import MilestoneTerms, OfferTerms
from contracts.services.weeks import WEEK, week_bounds, week_start_of
from payments.models import PaymentMethod
from payments.services import payment_methods

Log = Callable[[str], None]

TITLE = "Brand refresh: logo and style guide"
MILESTONES = [
    MilestoneTerms(title="Logo concepts", amount_cents=120_000, description="Three directions to choose from."),
    MilestoneTerms(title="Final logo and colour palette", amount_cents=150_000),
    MilestoneTerms(title="Brand guide (PDF)", amount_cents=80_000),
]

HOURLY_TITLE = "Website upkeep and small fixes"
HOURLY_RATE_CENTS = 4_500
HOURLY_LIMIT_HOURS = 20
# (start after Monday 00:00 UTC, length, memo): the paid week's work, and the same days of the current week so far.
WORK = [
    (dt.timedelta(days=0, hours=9), dt.timedelta(hours=3, minutes=30), "Audit of the contact form and its spam filter"),
    (dt.timedelta(days=1, hours=13), dt.timedelta(hours=3), "Fixed the mobile menu on Safari"),
    (dt.timedelta(days=2, hours=9, minutes=30), dt.timedelta(hours=1, minutes=30), "Updated plugins; checkout tested"),
    (dt.timedelta(days=3, hours=14), dt.timedelta(hours=3, minutes=20), "New banner for the winter sale"),
]


def _demo_pair() -> tuple[User, Organization, User] | None:
    """The demo client, their organization and the demo freelancer; None until the accounts step made them."""
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(user__email="client@demo.test", role=Role.OWNER)
        .first()
    )
    freelancer = User.objects.filter(email="freelancer@demo.test", freelancer_profile__isnull=False).first()
    if membership is None or freelancer is None:
        return None
    return membership.user, membership.organization, freelancer


def _ensure_card(*, client: User, organization: Organization, log: Log) -> None:
    if PaymentMethod.objects.filter(organization=organization, is_default=True).exists():
        return
    token = payment_methods.sandbox_card_token(
        number="4242424242424242", exp_month=12, exp_year=timezone.now().year + 3, cvc="123"
    )
    payment_methods.payment_method_add(actor=client, organization=organization, token=token)
    log(f"  sandbox card •••• 4242 saved for {organization.name}")


def _shares(organization: Organization, freelancer: User, contract_type: str) -> bool:
    contracts = Contract.objects.filter(organization=organization, freelancer=freelancer)
    return contracts.filter(contract_type=contract_type).exists()


def seed_contracts(*, log: Log) -> None:
    pair = _demo_pair()
    if pair is None:
        return
    client, organization, freelancer = pair
    if _shares(organization, freelancer, ContractType.FIXED):
        return
    _ensure_card(client=client, organization=organization, log=log)
    offer = offers.offer_create(
        actor=client,
        organization_id=organization.pk,
        terms=OfferTerms(
            contract_type=ContractType.FIXED,
            start_date=timezone.now().date() + dt.timedelta(days=1),
            total_cents=sum(m.amount_cents for m in MILESTONES),
            milestones=MILESTONES,
        ),
        title=TITLE,
        message="Happy to have you on board for our anniversary refresh.",
        freelancer_profile_id=freelancer.freelancer_profile.pk,
    )
    contract = offers.offer_accept(actor=freelancer, offer_id=offer.pk)
    first = contract.milestones.order_by("position").first()
    milestones.milestone_fund(actor=client, milestone_id=first.pk, request_key="demo-seed")
    log(f"  contract “{TITLE}” ({organization.name} with {freelancer.display_name}), first milestone funded")


def _log_week(*, freelancer: User, contract: Contract, week_start: dt.date, now: dt.datetime) -> int:
    """Log WORK's entries of the week that have ended by `now`, as the freelancer would at `now`; how many."""
    monday, _ = week_bounds(week_start)
    logged = 0
    for offset, length, memo in WORK:
        started_at = monday + offset
        ended_at = started_at + length
        if ended_at > now:
            break
        time_entries.entry_add(
            actor=freelancer, contract_id=contract.pk, started_at=started_at, ended_at=ended_at, memo=memo, now=now
        )
        logged += 1
    return logged


def seed_hourly_contract(*, log: Log, now: dt.datetime | None = None) -> None:
    """The hourly contract, offered and accepted two weeks before the current one (`now`: the clock's)."""
    pair = _demo_pair()
    if pair is None:
        return
    client, organization, freelancer = pair
    if _shares(organization, freelancer, ContractType.HOURLY):
        return
    _ensure_card(client=client, organization=organization, log=log)
    now = now or timezone.now()
    paid_week = week_start_of(now) - 2 * WEEK
    paid_monday, paid_end = week_bounds(paid_week)
    offered_at = paid_monday - dt.timedelta(days=3) + dt.timedelta(hours=10)  # the Friday before, 10:00 UTC
    offer = offers.offer_create(
        actor=client,
        organization_id=organization.pk,
        terms=OfferTerms(
            contract_type=ContractType.HOURLY,
            start_date=paid_week,
            hourly_rate_cents=HOURLY_RATE_CENTS,
            weekly_limit_hours=HOURLY_LIMIT_HOURS,
        ),
        title=HOURLY_TITLE,
        message="A few hours a week keeping our shop running smoothly.",
        freelancer_profile_id=freelancer.freelancer_profile.pk,
        now=offered_at,
    )
    contract = offers.offer_accept(actor=freelancer, offer_id=offer.pk, now=offered_at + dt.timedelta(hours=2))
    _log_week(freelancer=freelancer, contract=contract, week_start=paid_week, now=paid_end - dt.timedelta(hours=1))
    # The worker's cycle as it ran after that week: closed and charged on Monday, released when the review ended.
    billing.contract_billing_run(contract_id=contract.pk, now=paid_end + dt.timedelta(hours=1))
    review_ends_at = contract.timesheets.get(week_start=paid_week).review_ends_at
    billing.contract_billing_run(contract_id=contract.pk, now=review_ends_at)
    current = _log_week(freelancer=freelancer, contract=contract, week_start=week_start_of(now), now=now)
    log(
        f"  hourly contract “{HOURLY_TITLE}” ({organization.name} with {freelancer.display_name}): "
        f"the week of {paid_week:%d %b} paid, {current} entries this week"
    )
