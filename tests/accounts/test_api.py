"""The accounts API: tokens, the error format, who may call what, and validation shared with the pages."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import FreelancerProfile, Membership, OrganizationInvitation, PortfolioItem, Role
from tests.accounts.test_profiles import png_bytes, upload
from tests.factories import (
    FreelancerProfileFactory,
    MembershipFactory,
    OrganizationInvitationFactory,
    SkillFactory,
    UserFactory,
    org_with_roles,
)

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# --- token ---


def test_token_for_good_credentials_works_as_authentication():
    user = UserFactory(email="t@example.test")
    response = api().post("/api/v1/auth/token/", {"email": "t@example.test", "password": "correct-horse-battery"})
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["email"] == user.email


def test_token_refuses_bad_credentials():
    UserFactory(email="t@example.test")
    response = api().post("/api/v1/auth/token/", {"email": "t@example.test", "password": "wrong"})
    assert_error(response, 400, "invalid_credentials")


def test_token_refuses_an_unverified_email():
    UserFactory(email="t@example.test", verified=False)
    response = api().post("/api/v1/auth/token/", {"email": "t@example.test", "password": "correct-horse-battery"})
    assert_error(response, 403, "email_not_verified")


def test_token_validation_errors_list_the_fields():
    body = assert_error(api().post("/api/v1/auth/token/", {"email": "not-an-email"}), 400, "invalid")
    assert set(body["errors"]) == {"email", "password"}


def test_token_endpoint_is_throttled():
    UserFactory(email="t@example.test")
    for _ in range(10):
        api().post("/api/v1/auth/token/", {"email": "t@example.test", "password": "wrong"})
    response = api().post("/api/v1/auth/token/", {"email": "t@example.test", "password": "correct-horse-battery"})
    assert_error(response, 429, "throttled")


@pytest.mark.parametrize(
    "url", ["/api/v1/me/", "/api/v1/me/profile/", "/api/v1/organizations/", "/api/v1/me/profile/portfolio/"]
)
def test_private_endpoints_need_authentication(url):
    response = api().get(url)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


# --- me ---


def test_me_shows_sides_and_memberships_and_updates_names():
    profile = FreelancerProfileFactory()
    membership = MembershipFactory(user=profile.user, role=Role.FINANCE)
    client = api(profile.user)
    body = client.get("/api/v1/me/").json()
    assert body["is_freelancer"] and body["is_client"]
    assert body["freelancer_profile_id"] == profile.pk
    assert body["memberships"] == [
        {
            "id": membership.pk,
            "organization_id": membership.organization_id,
            "organization_name": membership.organization.name,
            "role": "finance",
        }
    ]
    body = client.patch("/api/v1/me/", {"first_name": "Grace", "email": "evil@x.test"}, format="json").json()
    assert body["first_name"] == "Grace"
    assert body["email"] == profile.user.email


# --- skills and public profiles ---


def test_skills_search_and_category_filter_for_anyone():
    SkillFactory(name="Zzdjango", category="development")
    SkillFactory(name="Zzdraw", category="design")
    names = [s["name"] for s in api().get("/api/v1/skills/", {"q": "zzd"}).json()["results"]]
    assert names == ["Zzdjango", "Zzdraw"]
    names = [s["name"] for s in api().get("/api/v1/skills/", {"q": "zzd", "category": "design"}).json()["results"]]
    assert names == ["Zzdraw"]


def test_seeded_skills_cover_every_category():
    from accounts.models import Skill

    counts = {c: Skill.objects.filter(category=c).count() for c in Skill.Category.values}
    assert sum(counts.values()) >= 200
    assert all(n >= 25 for n in counts.values())


def test_freelancers_are_public_and_filterable():
    python = SkillFactory(name="Python")
    pt = FreelancerProfileFactory(country="PT")
    pt.skills.add(python)
    FreelancerProfileFactory(country="BR")
    body = api().get("/api/v1/freelancers/", {"skill": python.slug}).json()
    assert [p["id"] for p in body["results"]] == [pt.pk]
    assert [p["id"] for p in api().get("/api/v1/freelancers/", {"country": "br"}).json()["results"]] != [pt.pk]
    detail = api().get(f"/api/v1/freelancers/{pt.pk}/").json()
    assert detail["skills"][0]["name"] == "Python"
    assert "email" not in detail and "user" not in detail
    assert_error(api().get("/api/v1/freelancers/999999/"), 404, "not_found")


def test_freelancer_list_runs_a_constant_number_of_queries(django_assert_max_num_queries):
    for _ in range(8):
        profile = FreelancerProfileFactory()
        profile.skills.add(SkillFactory())
    with django_assert_max_num_queries(6):
        assert len(api().get("/api/v1/freelancers/").json()["results"]) == 8


# --- my profile ---


def test_my_profile_patch_goes_through_the_service():
    profile = FreelancerProfileFactory()
    skill = SkillFactory()
    response = api(profile.user).patch(
        "/api/v1/me/profile/",
        {
            "hourly_rate_cents": 7500,
            "timezone": "Asia/Kolkata",
            "work_start": "09:00",
            "work_end": "17:00",
            "skill_ids": [skill.pk],
            "languages": [{"code": "en", "proficiency": "native"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["work_utc_start_minute"], body["work_minutes"]) == (210, 480)
    assert body["skills"][0]["id"] == skill.pk
    assert body["languages"] == [{"code": "en", "proficiency": "native", "name": "English"}]


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"hourly_rate_cents": 1}, "hourly_rate_cents", "rate_out_of_bounds"),
        ({"hourly_rate_cents": 10_000_000}, "hourly_rate_cents", "rate_out_of_bounds"),
        ({"timezone": "Mars/Base"}, "timezone", "invalid_timezone"),
        ({"work_start": "09:00", "work_end": "09:00"}, "work_end", "empty_window"),
        ({"work_start": "00:00", "work_end": "23:00"}, "work_end", "window_too_long"),
        ({"languages": [{"code": "xx", "proficiency": "native"}]}, "languages", "invalid"),
    ],
)
def test_my_profile_patch_refuses_bad_input_like_the_page(payload, field, code):
    profile = FreelancerProfileFactory()
    body = assert_error(api(profile.user).patch("/api/v1/me/profile/", payload, format="json"), 400, code)
    assert field in body["errors"]
    assert FreelancerProfile.objects.get(pk=profile.pk).timezone == profile.timezone


def test_my_profile_for_a_non_freelancer_is_404():
    assert_error(api(UserFactory()).get("/api/v1/me/profile/"), 404, "not_a_freelancer")


def test_portfolio_upload_through_the_api():
    profile = FreelancerProfileFactory()
    client = api(profile.user)
    response = client.post("/api/v1/me/profile/portfolio/", {"title": "App", "image": upload()}, format="multipart")
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]
    assert client.get("/api/v1/me/profile/portfolio/").json()["results"][0]["id"] == item_id
    assert client.delete(f"/api/v1/me/profile/portfolio/{item_id}/").status_code == 204


@pytest.mark.parametrize(
    ("content", "text", "code"),
    [
        (b"GIF89a? not really", "not an image we can read", "invalid_image"),
        (png_bytes() + b"\0" * (2 * 1024 * 1024), "too large", "image_too_large"),
    ],
)
def test_portfolio_api_refuses_fake_and_oversized_images(content, text, code):
    profile = FreelancerProfileFactory()
    response = api(profile.user).post(
        "/api/v1/me/profile/portfolio/", {"title": "Bad", "image": upload(content=content)}, format="multipart"
    )
    body = assert_error(response, 400, code)
    assert text in " ".join(body["errors"]["image"])
    assert not PortfolioItem.objects.exists()


def test_portfolio_delete_of_another_freelancers_item_is_404():
    other = PortfolioItem.objects.create(profile=FreelancerProfileFactory(), title="x")
    response = api(FreelancerProfileFactory().user).delete(f"/api/v1/me/profile/portfolio/{other.pk}/")
    assert_error(response, 404, "not_found")


# --- organizations ---


def test_organizations_lists_only_mine_with_my_role():
    org, m = org_with_roles(Role.FINANCE)
    MembershipFactory()  # someone else's organization
    body = api(m[Role.FINANCE].user).get("/api/v1/organizations/").json()
    assert [(o["id"], o["my_role"]) for o in body["results"]] == [(org.pk, "finance")]


@pytest.mark.parametrize("who", ["another_client", "another_freelancer", "staff"])
def test_another_organization_is_404_for_everyone_outside_it(who):
    org, _ = org_with_roles(Role.OWNER)
    outsider = {
        "another_client": lambda: MembershipFactory().user,
        "another_freelancer": lambda: FreelancerProfileFactory().user,
        "staff": lambda: UserFactory(is_staff=True, is_superuser=True),
    }[who]()
    client = api(outsider)
    for response in (
        client.get(f"/api/v1/organizations/{org.pk}/"),
        client.patch(f"/api/v1/organizations/{org.pk}/", {"name": "Hijacked"}, format="json"),
        client.get(f"/api/v1/organizations/{org.pk}/members/"),
        client.get(f"/api/v1/organizations/{org.pk}/invitations/"),
        client.post(f"/api/v1/organizations/{org.pk}/invitations/", {"email": "a@b.test"}, format="json"),
    ):
        assert_error(response, 404, "not_found")


def test_organization_patch_by_role():
    org, m = org_with_roles(Role.OWNER, Role.HIRING_MANAGER)
    response = api(m[Role.HIRING_MANAGER].user).patch(f"/api/v1/organizations/{org.pk}/", {"name": "X"}, format="json")
    assert_error(response, 403, "permission_denied")
    response = api(m[Role.OWNER].user).patch(
        f"/api/v1/organizations/{org.pk}/", {"name": "Renamed", "timezone": "Asia/Tokyo"}, format="json"
    )
    assert response.json()["name"] == "Renamed"
    body = assert_error(
        api(m[Role.OWNER].user).patch(f"/api/v1/organizations/{org.pk}/", {"timezone": "Bad/Zone"}, format="json"),
        400,
        "invalid",
    )
    assert "timezone" in body["errors"]


def test_members_list_patch_and_delete():
    org, m = org_with_roles(Role.OWNER, Role.MEMBER)
    client = api(m[Role.OWNER].user)
    members = client.get(f"/api/v1/organizations/{org.pk}/members/").json()["results"]
    assert {x["role"] for x in members} == {"owner", "member"}
    url = f"/api/v1/organizations/{org.pk}/members/{m[Role.MEMBER].pk}/"
    assert client.patch(url, {"role": "finance"}, format="json").json()["role"] == "finance"
    assert client.delete(url).status_code == 204
    assert not Membership.objects.filter(pk=m[Role.MEMBER].pk).exists()


def test_member_rules_are_409_over_the_api():
    org, m = org_with_roles(Role.OWNER, Role.ADMIN)
    owner_url = f"/api/v1/organizations/{org.pk}/members/{m[Role.OWNER].pk}/"
    assert_error(api(m[Role.OWNER].user).patch(owner_url, {"role": "admin"}, format="json"), 409, "last_owner")
    assert_error(api(m[Role.ADMIN].user).delete(owner_url), 409, "owner_only")
    assert_error(api(m[Role.OWNER].user).patch(owner_url, {"role": "boss"}, format="json"), 400, "invalid")


def test_member_of_another_org_is_404():
    org, m = org_with_roles(Role.OWNER)
    other = MembershipFactory(role=Role.MEMBER)
    response = api(m[Role.OWNER].user).delete(f"/api/v1/organizations/{org.pk}/members/{other.pk}/")
    assert_error(response, 404, "not_found")


def test_invitations_list_and_create(django_capture_on_commit_callbacks):
    org, m = org_with_roles(Role.OWNER, Role.MEMBER)
    OrganizationInvitationFactory(organization=org, email="old@example.test")
    client = api(m[Role.OWNER].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/organizations/{org.pk}/invitations/",
            {"email": "pat@example.test", "role": "admin"},
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert mail.outbox[0].to == ["pat@example.test"]
    emails = {i["email"] for i in client.get(f"/api/v1/organizations/{org.pk}/invitations/").json()["results"]}
    assert emails == {"old@example.test", "pat@example.test"}
    assert "token" not in response.json()

    member = api(m[Role.MEMBER].user)
    assert_error(member.get(f"/api/v1/organizations/{org.pk}/invitations/"), 403, "permission_denied")
    assert_error(
        member.post(f"/api/v1/organizations/{org.pk}/invitations/", {"email": "q@example.test"}, format="json"),
        403,
        "permission_denied",
    )
    assert OrganizationInvitation.objects.filter(organization=org).count() == 2
