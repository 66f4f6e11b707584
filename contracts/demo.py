"""Demo contract for `make run` (a seed_demo step): an active fixed-price contract between client@demo.test's
organization and freelancer@demo.test, its first milestone funded into escrow with a sandbox card.

Everything goes through the services, as a user would. Idempotent: if the two already share a contract, nothing
is created.
"""

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from accounts.models import Membership, Role, User
from contracts.models import Contract
from contracts.services import milestones, offers
from contracts.services.offers import MilestoneTerms, OfferTerms
from payments.models import PaymentMethod
from payments.services import payment_methods

Log = Callable[[str], None]

TITLE = "Brand refresh: logo and style guide"
MILESTONES = [
    MilestoneTerms(title="Logo concepts", amount_cents=120_000, description="Three directions to choose from."),
    MilestoneTerms(title="Final logo and colour palette", amount_cents=150_000),
    MilestoneTerms(title="Brand guide (PDF)", amount_cents=80_000),
]


def seed_contracts(*, log: Log) -> None:
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(user__email="client@demo.test", role=Role.OWNER)
        .first()
    )
    freelancer = User.objects.filter(email="freelancer@demo.test", freelancer_profile__isnull=False).first()
    if membership is None or freelancer is None:
        return
    client, organization = membership.user, membership.organization
    if Contract.objects.filter(organization=organization, freelancer=freelancer).exists():
        return
    if not PaymentMethod.objects.filter(organization=organization, is_default=True).exists():
        token = payment_methods.sandbox_card_token(
            number="4242424242424242", exp_month=12, exp_year=timezone.now().year + 3, cvc="123"
        )
        payment_methods.payment_method_add(actor=client, organization=organization, token=token)
        log(f"  sandbox card •••• 4242 saved for {organization.name}")
    offer = offers.offer_create(
        actor=client,
        organization_id=organization.pk,
        terms=OfferTerms(
            contract_type="fixed",
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
