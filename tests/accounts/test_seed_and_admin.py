"""The demo seed and the admin pages for accounts."""

import pytest
from django.core.management import call_command

from accounts.models import FreelancerProfile, Membership, Organization, Role, User
from contracts.models import BillingDocument, Contract, TimeEntry, Timesheet
from tests.factories import FreelancerProfileFactory, MembershipFactory, OrganizationInvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        "users": list(User.objects.order_by("id").values_list("email", "password", "first_name")),
        "profiles": list(
            FreelancerProfile.objects.order_by("id").values_list(
                "user__email", "headline", "hourly_rate_cents", "timezone", "work_utc_start_minute", "updated_at"
            )
        ),
        "memberships": list(Membership.objects.order_by("id").values_list("user__email", "organization__name", "role")),
        "organizations": list(Organization.objects.order_by("id").values_list("name", "timezone")),
        "contracts": list(Contract.objects.order_by("id").values_list("title", "contract_type", "status")),
        "timesheets": list(Timesheet.objects.order_by("id").values_list("contract__title", "week_start", "status")),
        "entries": list(TimeEntry.objects.order_by("id").values_list("started_at", "ended_at")),
        "documents": list(BillingDocument.objects.order_by("id").values_list("kind", "number")),
    }


def test_seed_demo_creates_the_demo_world_and_is_idempotent(capsys):
    call_command("seed_demo")
    first_output = capsys.readouterr().out
    assert "freelancer@demo.test" in first_output
    before = _snapshot()
    assert {kind for _, kind, _ in before["contracts"]} == {"fixed", "hourly"}
    assert len(before["documents"]) == 2  # the paid week's invoice and statement

    call_command("seed_demo")
    assert "nothing new" in capsys.readouterr().out
    assert _snapshot() == before

    client = User.objects.get(email="client@demo.test")
    assert client.check_password("demo-pass-2026")
    assert client.emailaddress_set.get().verified
    northwind = Organization.objects.get(name="Northwind Studio")
    assert northwind.timezone == "America/New_York"
    assert dict(northwind.memberships.values_list("user__email", "role")) == {
        "client@demo.test": Role.OWNER,
        "finance@demo.test": Role.FINANCE,
    }
    assert Organization.objects.get(name="Kaiju Labs").memberships.get().user.email == "client2@demo.test"
    assert User.objects.get(email="staff@demo.test").is_superuser
    profiles = FreelancerProfile.objects.all()
    assert profiles.count() >= 20
    assert profiles.get(user__email="freelancer@demo.test").timezone == "Europe/Lisbon"
    zones = {p.timezone.split("/")[0] for p in profiles}
    assert {"Europe", "America", "Asia", "Africa", "Australia"} <= zones
    assert all(p.skills.exists() and p.languages.exists() and p.hourly_rate_cents for p in profiles)


@pytest.mark.parametrize(
    "model",
    [
        "user",
        "skill",
        "freelancerprofile",
        "profilelanguage",
        "portfolioitem",
        "organization",
        "membership",
        "organizationinvitation",
    ],
)
def test_admin_changelists_search_and_filter(admin_client, model):
    profile = FreelancerProfileFactory()
    MembershipFactory(user=profile.user)
    OrganizationInvitationFactory()
    assert admin_client.get(f"/admin/accounts/{model}/").status_code == 200
    assert admin_client.get(f"/admin/accounts/{model}/", {"q": "example"}).status_code == 200


def test_admin_user_and_profile_pages_are_read_only(admin_client):
    user = UserFactory(email="someone@example.test")
    profile = FreelancerProfileFactory(user=user)
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200 and b"someone@example.test" in page.content
    assert b'name="_save"' not in page.content
    assert admin_client.get(f"/admin/accounts/freelancerprofile/{profile.pk}/change/").status_code == 200
    # No adding, editing or deleting from the admin: Django answers 403 and nothing changes.
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"email": "new@example.test", "password1": "a-good-long-password-1", "password2": "a-good-long-password-1"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="new@example.test").exists()
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", {"email": "x@example.test"})
    assert response.status_code == 403
    response = admin_client.post(f"/admin/accounts/freelancerprofile/{profile.pk}/change/", {"headline": "changed"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"}).status_code == 403
    user.refresh_from_db()
    profile.refresh_from_db()
    assert user.email == "someone@example.test" and profile.headline != "changed"


def test_the_last_owner_cannot_be_demoted_from_the_admin(admin_client):
    owner = MembershipFactory(role=Role.OWNER)
    organization = owner.organization
    response = admin_client.post(
        f"/admin/accounts/membership/{owner.pk}/change/",
        {"user": owner.user_id, "organization": organization.pk, "role": Role.MEMBER},
    )
    assert response.status_code == 403
    # Nor through the organization's page and its membership inline.
    response = admin_client.post(
        f"/admin/accounts/organization/{organization.pk}/change/",
        {
            "name": organization.name,
            "memberships-TOTAL_FORMS": 1,
            "memberships-INITIAL_FORMS": 1,
            "memberships-0-id": owner.pk,
            "memberships-0-organization": organization.pk,
            "memberships-0-user": owner.user_id,
            "memberships-0-role": Role.MEMBER,
        },
    )
    assert response.status_code == 403
    assert admin_client.post(f"/admin/accounts/membership/{owner.pk}/delete/", {"post": "yes"}).status_code == 403
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
