"""factory_boy factories for the whole suite; each app's factories in its own section."""

from datetime import timedelta

import factory
from django.utils import timezone as django_timezone
from django.utils.text import slugify

from accounts.models import FreelancerProfile, Membership, Organization, Role, Skill, User
from jobs.models import Job, Proposal
from payments.gateway.sandbox import SandboxGateway

# --- accounts ---


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Users are created with a verified primary address (pass verified=False for one that is not)."""
        if not create:
            return
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=self, email=self.email, defaults={"verified": extracted is not False, "primary": True}
        )
        self.save()


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Skill {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    category = Skill.Category.DEVELOPMENT


class FreelancerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FreelancerProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    headline = factory.Faker("job")
    overview = factory.Faker("paragraph")
    hourly_rate_cents = 5000
    country = "PT"
    timezone = "Europe/Lisbon"

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        """A complete profile (talent search lists only those) has a skill; pass skills=[...] to choose them."""
        if create:
            self.skills.set(extracted if extracted is not None else [SkillFactory()])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Faker("company")
    country = "US"
    timezone = "America/New_York"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


class OrganizationInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.OrganizationInvitation"

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.MEMBER
    token = factory.Sequence(lambda n: f"test-invitation-token-{n}")


class ProfileLanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.ProfileLanguage"

    profile = factory.SubFactory(FreelancerProfileFactory)
    code = "en"
    proficiency = "fluent"


def org_with_roles(*roles: str) -> tuple[Organization, dict[str, Membership]]:
    """An organization with one member per role given (keyed by role); the first owner is listed under 'owner'."""
    organization = OrganizationFactory()
    members = {role: MembershipFactory(organization=organization, role=role) for role in roles}
    return organization, members


# --- jobs ---


class JobFactory(factory.django.DjangoModelFactory):
    """An open public hourly job; pass skills=[...] to set them. The search columns are rebuilt by the job
    service's `job_reindex`, as every real change does."""

    class Meta:
        model = Job
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Build a booking widget {n}")
    description = "We need a small, well-tested component for our site."
    category = Skill.Category.DEVELOPMENT
    budget_type = Job.BudgetType.HOURLY
    rate_min_cents = 3000
    rate_max_cents = 6000
    duration = "1_3m"
    experience_level = "intermediate"
    timezone = "UTC"
    status = Job.Status.OPEN
    published_at = factory.LazyFunction(django_timezone.now)

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if not create:
            return
        from jobs.search.index import job_reindex

        self.skills.set(extracted if extracted is not None else [SkillFactory()])
        job_reindex(self)


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    job = factory.SubFactory(JobFactory)
    freelancer = factory.SubFactory(FreelancerProfileFactory)
    cover_letter = "I have built three of these."
    rate_cents = 5000
    estimated_duration = "1_3m"


# --- payments ---


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    """A sandbox card on file, tokenized by the sandbox gateway like the card form does (default card by
    default; pass card_number="4000000000000341" for one that declines every charge)."""

    class Meta:
        model = "payments.PaymentMethod"

    class Params:
        card_number = "4242424242424242"

    organization = factory.SubFactory(OrganizationFactory)
    gateway = "sandbox"
    token = factory.LazyAttribute(
        lambda o: SandboxGateway().tokenize_card(number=o.card_number, exp_month=12, exp_year=2099, cvc="123")
    )
    brand = "Visa"
    last4 = factory.LazyAttribute(lambda o: o.card_number[-4:])
    exp_month = 12
    exp_year = 2099
    is_default = True


class PayoutMethodFactory(factory.django.DjangoModelFactory):
    """A verified sandbox bank account (last4="0002" makes one whose payouts fail)."""

    class Meta:
        model = "payments.PayoutMethod"

    user = factory.SubFactory(UserFactory)
    kind = "sandbox_bank"
    label = factory.LazyAttribute(lambda o: f"Bank •••• {o.last4}")
    last4 = "6789"
    verified = True
    is_default = True


# --- contracts ---


class OfferFactory(factory.django.DjangoModelFactory):
    """An accepted fixed-price offer (the contract factory's source); pass status="pending" for an open one."""

    class Meta:
        model = "contracts.Offer"

    organization = factory.SubFactory(OrganizationFactory)
    freelancer = factory.LazyFunction(lambda: FreelancerProfileFactory().user)
    title = factory.Sequence(lambda n: f"Landing page redesign {n}")
    contract_type = "fixed"
    total_cents = 30_000
    start_date = factory.LazyFunction(lambda: django_timezone.now().date())
    status = "accepted"
    expires_at = factory.LazyFunction(lambda: django_timezone.now() + timedelta(days=7))


class ContractFactory(factory.django.DjangoModelFactory):
    """An active fixed-price contract; add MilestoneFactory(contract=...) rows for its work."""

    class Meta:
        model = "contracts.Contract"

    offer = factory.SubFactory(OfferFactory)
    organization = factory.SelfAttribute("offer.organization")
    freelancer = factory.SelfAttribute("offer.freelancer")
    title = factory.SelfAttribute("offer.title")
    contract_type = "fixed"
    total_cents = factory.SelfAttribute("offer.total_cents")
    start_date = factory.SelfAttribute("offer.start_date")
    started_at = factory.LazyFunction(django_timezone.now)


class MilestoneFactory(factory.django.DjangoModelFactory):
    """An unfunded milestone; its money moves only through the milestone services."""

    class Meta:
        model = "contracts.Milestone"

    contract = factory.SubFactory(ContractFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    amount_cents = 10_000
