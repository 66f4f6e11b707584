"""Organization roles: what each may do, member management rules, invitations, adding a side."""

import pytest
from django.core import mail

from accounts.models import FreelancerProfile, Membership, OrganizationInvitation, Role
from accounts.permissions import ROLE_PERMISSIONS, OrgPerm, has_org_perm, may_grant_role, may_manage_member
from accounts.services.invitations import invitation_accept, invitation_create, invitation_revoke
from accounts.services.organizations import member_change_role, member_remove, organization_update
from accounts.services.profiles import freelancer_profile_create
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kernel.transitions import allowed_transitions
from tests.factories import MembershipFactory, OrganizationInvitationFactory, UserFactory, org_with_roles

pytestmark = pytest.mark.django_db

EXPECTED = {
    Role.OWNER: set(OrgPerm),
    Role.ADMIN: set(OrgPerm),
    Role.HIRING_MANAGER: {OrgPerm.VIEW, OrgPerm.POST_JOBS, OrgPerm.HIRE},
    Role.FINANCE: {OrgPerm.VIEW, OrgPerm.MANAGE_PAYMENT_METHODS, OrgPerm.FUND, OrgPerm.APPROVE_PAYMENTS},
    Role.MEMBER: {OrgPerm.VIEW},
}


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("perm", list(OrgPerm))
def test_role_matrix(role, perm):
    membership = MembershipFactory(role=role)
    assert has_org_perm(membership.user, membership.organization_id, perm) is (perm in EXPECTED[role])


def test_every_role_is_in_the_matrix():
    assert set(ROLE_PERMISSIONS) == set(Role.values)


@pytest.mark.parametrize("perm", list(OrgPerm))
def test_an_outsider_has_no_permission(perm):
    membership = MembershipFactory(role=Role.OWNER)
    assert not has_org_perm(UserFactory(), membership.organization_id, perm)


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (Role.OWNER, Role.OWNER, True),
        (Role.OWNER, Role.ADMIN, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.MEMBER, True),
        (Role.HIRING_MANAGER, Role.MEMBER, False),
        (Role.FINANCE, Role.MEMBER, False),
        (Role.MEMBER, Role.MEMBER, False),
        (None, Role.MEMBER, False),
    ],
)
def test_who_may_manage_whom(actor, target, allowed):
    assert may_manage_member(actor, target) is allowed
    assert may_grant_role(actor, target) is allowed


# --- member management through the services ---


def test_the_last_owner_cannot_be_demoted():
    org, m = org_with_roles(Role.OWNER)
    with pytest.raises(DomainError) as exc:
        member_change_role(
            actor=m[Role.OWNER].user, organization_id=org.pk, membership_id=m[Role.OWNER].pk, role=Role.ADMIN
        )
    assert exc.value.code == "last_owner"
    assert Membership.objects.get(pk=m[Role.OWNER].pk).role == Role.OWNER


def test_the_last_owner_cannot_be_removed_or_leave():
    org, m = org_with_roles(Role.OWNER, Role.ADMIN)
    with pytest.raises(DomainError) as exc:
        member_remove(actor=m[Role.OWNER].user, organization_id=org.pk, membership_id=m[Role.OWNER].pk)
    assert exc.value.code == "last_owner"
    assert Membership.objects.filter(pk=m[Role.OWNER].pk).exists()


def test_an_owner_can_step_down_once_there_is_another_owner():
    org, m = org_with_roles(Role.OWNER, Role.ADMIN)
    owner, admin = m[Role.OWNER], m[Role.ADMIN]
    member_change_role(actor=owner.user, organization_id=org.pk, membership_id=admin.pk, role=Role.OWNER)
    member_change_role(actor=owner.user, organization_id=org.pk, membership_id=owner.pk, role=Role.MEMBER)
    assert Membership.objects.get(pk=owner.pk).role == Role.MEMBER
    assert Membership.objects.get(pk=admin.pk).role == Role.OWNER


def test_an_admin_cannot_touch_an_owner():
    org, m = org_with_roles(Role.OWNER, Role.ADMIN)
    admin, owner = m[Role.ADMIN].user, m[Role.OWNER]
    for call in (
        lambda: member_change_role(actor=admin, organization_id=org.pk, membership_id=owner.pk, role=Role.MEMBER),
        lambda: member_remove(actor=admin, organization_id=org.pk, membership_id=owner.pk),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == "owner_only"
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_an_admin_cannot_make_an_owner():
    org, m = org_with_roles(Role.OWNER, Role.ADMIN, Role.MEMBER)
    with pytest.raises(DomainError) as exc:
        member_change_role(
            actor=m[Role.ADMIN].user, organization_id=org.pk, membership_id=m[Role.MEMBER].pk, role=Role.OWNER
        )
    assert exc.value.code == "owner_only"


def test_an_admin_changes_and_removes_other_members():
    org, m = org_with_roles(Role.OWNER, Role.ADMIN, Role.MEMBER)
    admin = m[Role.ADMIN].user
    member_change_role(actor=admin, organization_id=org.pk, membership_id=m[Role.MEMBER].pk, role=Role.HIRING_MANAGER)
    assert Membership.objects.get(pk=m[Role.MEMBER].pk).role == Role.HIRING_MANAGER
    member_remove(actor=admin, organization_id=org.pk, membership_id=m[Role.MEMBER].pk)
    assert not Membership.objects.filter(pk=m[Role.MEMBER].pk).exists()


@pytest.mark.parametrize("role", [Role.HIRING_MANAGER, Role.FINANCE, Role.MEMBER])
def test_roles_without_manage_members_cannot_change_members(role):
    org, m = org_with_roles(Role.OWNER, role)
    target = MembershipFactory(organization=org, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        member_change_role(actor=m[role].user, organization_id=org.pk, membership_id=target.pk, role=Role.FINANCE)
    with pytest.raises(PermissionDenied):
        member_remove(actor=m[role].user, organization_id=org.pk, membership_id=target.pk)


def test_any_member_may_leave():
    org, m = org_with_roles(Role.OWNER, Role.MEMBER)
    member_remove(actor=m[Role.MEMBER].user, organization_id=org.pk, membership_id=m[Role.MEMBER].pk)
    assert not Membership.objects.filter(pk=m[Role.MEMBER].pk).exists()


def test_another_organizations_member_is_not_found():
    org, m = org_with_roles(Role.OWNER)
    other = MembershipFactory(role=Role.MEMBER)
    with pytest.raises(NotFound):
        member_remove(actor=m[Role.OWNER].user, organization_id=org.pk, membership_id=other.pk)
    with pytest.raises(NotFound):
        member_remove(actor=m[Role.OWNER].user, organization_id=other.organization_id, membership_id=other.pk)


def test_organization_update_needs_manage_organization():
    org, m = org_with_roles(Role.OWNER, Role.FINANCE)
    with pytest.raises(PermissionDenied):
        organization_update(actor=m[Role.FINANCE].user, organization_id=org.pk, name="Renamed")
    organization_update(actor=m[Role.OWNER].user, organization_id=org.pk, name="Renamed", timezone="Asia/Tokyo")
    org.refresh_from_db()
    assert (org.name, org.timezone) == ("Renamed", "Asia/Tokyo")
    with pytest.raises(InvalidInput) as exc:
        organization_update(actor=m[Role.OWNER].user, organization_id=org.pk, timezone="Nowhere/Land")
    assert list(exc.value.errors) == ["timezone"]


# --- invitations ---


def test_invite_sends_a_mail_with_the_accept_link(django_capture_on_commit_callbacks):
    org, m = org_with_roles(Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            actor=m[Role.OWNER].user, organization_id=org.pk, email="New.Person@Example.test", role=Role.FINANCE
        )
    assert invitation.email == "new.person@example.test"
    assert len(invitation.token) >= 32
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.test"]
    assert f"/invitations/{invitation.token}/" in mail.outbox[0].body
    assert org.name in mail.outbox[0].subject


def test_invite_refuses_duplicates_and_existing_members():
    org, m = org_with_roles(Role.OWNER, Role.MEMBER)
    owner = m[Role.OWNER].user
    invitation_create(actor=owner, organization_id=org.pk, email="x@example.test", role=Role.MEMBER)
    with pytest.raises(DomainError) as exc:
        invitation_create(actor=owner, organization_id=org.pk, email="x@example.test", role=Role.MEMBER)
    assert exc.value.code == "already_invited"
    with pytest.raises(DomainError) as exc:
        invitation_create(actor=owner, organization_id=org.pk, email=m[Role.MEMBER].user.email, role=Role.MEMBER)
    assert exc.value.code == "already_member"


def test_only_an_owner_invites_an_owner():
    org, m = org_with_roles(Role.OWNER, Role.ADMIN, Role.HIRING_MANAGER)
    with pytest.raises(DomainError) as exc:
        invitation_create(actor=m[Role.ADMIN].user, organization_id=org.pk, email="o@x.test", role=Role.OWNER)
    assert exc.value.code == "owner_only"
    with pytest.raises(PermissionDenied):
        invitation_create(actor=m[Role.HIRING_MANAGER].user, organization_id=org.pk, email="o@x.test", role=Role.MEMBER)
    invitation_create(actor=m[Role.OWNER].user, organization_id=org.pk, email="o@x.test", role=Role.OWNER)


def test_accepting_with_the_matching_email_joins_with_the_role():
    invitation = OrganizationInvitationFactory(email="jo@example.test", role=Role.HIRING_MANAGER)
    user = UserFactory(email="Jo@example.test".lower())
    membership = invitation_accept(user=user, token=invitation.token)
    assert membership.role == Role.HIRING_MANAGER
    invitation.refresh_from_db()
    assert invitation.status == OrganizationInvitation.Status.ACCEPTED
    assert invitation.accepted_at is not None
    with pytest.raises(DomainError) as exc:
        invitation_accept(user=user, token=invitation.token)
    assert exc.value.code == "invitation_not_pending"


def test_accepting_with_another_email_is_refused():
    invitation = OrganizationInvitationFactory(email="jo@example.test")
    with pytest.raises(DomainError) as exc:
        invitation_accept(user=UserFactory(email="mallory@example.test"), token=invitation.token)
    assert exc.value.code == "invitation_email_mismatch"
    assert not Membership.objects.filter(organization=invitation.organization).exists()


def test_a_revoked_invitation_cannot_be_accepted():
    org, m = org_with_roles(Role.OWNER)
    invitation = OrganizationInvitationFactory(organization=org, email="jo@example.test")
    invitee = UserFactory(email="jo@example.test")
    assert allowed_transitions(invitation, m[Role.OWNER].user) == {OrganizationInvitation.Status.REVOKED}
    assert allowed_transitions(invitation, invitee) == {OrganizationInvitation.Status.ACCEPTED}
    invitation_revoke(actor=m[Role.OWNER].user, organization_id=org.pk, invitation_id=invitation.pk)
    with pytest.raises(DomainError) as exc:
        invitation_accept(user=invitee, token=invitation.token)
    assert exc.value.code == "invitation_not_pending"
    with pytest.raises(DomainError) as exc:
        invitation_revoke(actor=m[Role.OWNER].user, organization_id=org.pk, invitation_id=invitation.pk)
    assert exc.value.code == "invitation_not_pending"


# --- pages ---


def test_invitation_page_flow_for_the_invitee(client):
    invitation = OrganizationInvitationFactory(email="jo@example.test", role=Role.FINANCE)
    url = f"/invitations/{invitation.token}/"
    assert "Log in" in client.get(url).content.decode()

    client.force_login(UserFactory(email="someone-else@example.test"))
    assert "this invitation is for jo@example.test" in client.get(url).content.decode()
    client.post(url)
    assert not Membership.objects.filter(organization=invitation.organization).exists()

    jo = UserFactory(email="jo@example.test")
    client.force_login(jo)
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.get(user=jo, organization=invitation.organization).role == Role.FINANCE


def test_unknown_invitation_token_is_404(client):
    assert client.get("/invitations/not-a-real-token/").status_code == 404


def test_organization_page_shows_members_and_controls_by_role(client):
    org, m = org_with_roles(Role.OWNER, Role.MEMBER)
    client.force_login(m[Role.OWNER].user)
    html = client.get(f"/organizations/{org.pk}/").content.decode()
    assert m[Role.MEMBER].user.email in html
    assert "Send invitation" in html
    client.force_login(m[Role.MEMBER].user)
    html = client.get(f"/organizations/{org.pk}/").content.decode()
    assert "Send invitation" not in html
    assert "Owners and admins can change these." in html


def test_organization_pages_of_another_org_are_404(client):
    org, _ = org_with_roles(Role.OWNER)
    client.force_login(UserFactory())
    assert client.get(f"/organizations/{org.pk}/").status_code == 404
    assert client.post(f"/organizations/{org.pk}/invite/", {"email": "a@b.test", "role": "member"}).status_code == 404


def test_organization_page_edit_and_invite(client, django_capture_on_commit_callbacks):
    org, m = org_with_roles(Role.OWNER)
    client.force_login(m[Role.OWNER].user)
    response = client.post(
        f"/organizations/{org.pk}/", {"name": "New name", "country": "PT", "timezone": "Europe/Lisbon"}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.country.code, org.timezone) == ("New name", "PT", "Europe/Lisbon")

    response = client.post(f"/organizations/{org.pk}/", {"name": "x", "timezone": "Bad/Zone"})
    assert response.status_code == 200
    assert "is not a time zone we know" in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/organizations/{org.pk}/invite/", {"email": "pat@example.test", "role": "finance"})
    assert OrganizationInvitation.objects.get(organization=org).email == "pat@example.test"
    assert len(mail.outbox) == 1


def test_member_role_page_shows_the_rule_as_a_message(client):
    org, m = org_with_roles(Role.OWNER)
    client.force_login(m[Role.OWNER].user)
    response = client.post(f"/organizations/{org.pk}/members/{m[Role.OWNER].pk}/role/", {"role": "member"}, follow=True)
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.get(pk=m[Role.OWNER].pk).role == Role.OWNER


def test_organization_link_goes_to_the_first_organization(client):
    org, m = org_with_roles(Role.OWNER)
    client.force_login(m[Role.OWNER].user)
    assert client.get("/organization/")["Location"] == f"/organizations/{org.pk}/"


def test_a_freelancer_starts_hiring_and_a_client_starts_freelancing(client):
    freelancer = UserFactory()
    freelancer_profile_create(user=freelancer, timezone="Asia/Tokyo")
    client.force_login(freelancer)
    assert "Start hiring" in client.get("/dashboard/").content.decode()
    client.post("/start-hiring/", {"organization_name": "Side Business"})
    membership = Membership.objects.select_related("organization").get(user=freelancer)
    assert (membership.role, membership.organization.name) == (Role.OWNER, "Side Business")
    assert membership.organization.timezone == "Asia/Tokyo"

    _, m = org_with_roles(Role.OWNER)
    client.force_login(m[Role.OWNER].user)
    assert "Start freelancing" in client.get("/dashboard/").content.decode()
    assert client.post("/start-freelancing/")["Location"] == "/profile/"
    assert FreelancerProfile.objects.filter(user=m[Role.OWNER].user).exists()
