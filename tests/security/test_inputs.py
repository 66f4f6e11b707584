"""The low items of issue 14: inputs that made the server answer 500, and the rules they slipped past."""

import struct
import zlib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, OrganizationInvitation, Role
from accounts.services.invitations import invitation_accept, invitation_create
from tests.factories import (
    FreelancerProfileFactory,
    JobFactory,
    MembershipFactory,
    OrganizationInvitationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def freelancer():
    return FreelancerProfileFactory().user


@pytest.fixture
def owner():
    return MembershipFactory(role=Role.OWNER).user


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/proposals/abc/shortlist/"),
        ("post", "/api/v1/job-invitations/abc/accept/"),
        ("post", "/api/v1/conversations/abc/messages/"),
        ("delete", "/api/v1/saved-searches/abc/"),
        ("get", "/api/v1/offers/abc/"),
        ("get", "/api/v1/milestones/1.5/"),
    ],
)
def test_a_non_numeric_id_is_an_unknown_endpoint(owner, method, url):
    response = getattr(api(owner), method)(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_delete_to_an_unknown_endpoint_is_a_json_404_not_a_csrf_page(owner):
    response = api(owner).delete("/api/v1/organizations/-5/members/1/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_saved_search_needs_its_query(freelancer):
    response = api(freelancer).post("/api/v1/saved-searches/", {"name": "Django"}, format="json")
    assert response.status_code == 400
    assert "query" in response.json()["errors"]
    created = api(freelancer).post("/api/v1/saved-searches/", {"name": "All", "query": ""}, format="json")
    assert created.status_code == 201


def test_a_portfolio_body_that_is_not_an_object_is_refused(freelancer):
    response = api(freelancer).post("/api/v1/me/profile/portfolio/", ["a"], format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_portfolio_image_that_is_not_a_file_is_refused(freelancer, fmt):
    response = api(freelancer).post("/api/v1/me/profile/portfolio/", {"title": "t", "image": "x.png"}, format=fmt)
    assert response.status_code == 400
    assert "image" in response.json()["errors"]


def _png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header claiming width × height pixels, with almost no data behind it (what a bomb looks like
    to anything that reads only the header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(12000, 12000), (40000, 40000)])  # over our limit; over Pillow's bomb limit
def test_images_with_too_many_pixels_are_refused(freelancer, size):
    upload = SimpleUploadedFile("bomb.png", _png_claiming(*size), content_type="image/png")
    response = api(freelancer).post(
        "/api/v1/me/profile/portfolio/", {"title": "Big", "image": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "too many pixels" in " ".join(response.json()["errors"]["image"])


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/jobs/?skills={HUGE}",
        f"/api/v1/jobs/?page={HUGE}",
        f"/api/v1/talent/?skills={HUGE}",
        f"/api/v1/talent/?page={HUGE}",
    ],
)
def test_integers_past_the_database_range_are_refused_in_api_searches(freelancer, url):
    assert api(freelancer).get(url).status_code == 400


@pytest.mark.parametrize("url", [f"/jobs/?page={HUGE}", f"/talent/?page={HUGE}"])
def test_integers_past_the_database_range_do_not_break_search_pages(client, owner, url):
    client.force_login(owner)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/v1/freelancers/?country=a%00b", "/api/v1/jobs/?q=a%00b", "/jobs/?q=a%00b", "/invitations/a%00b/"]
)
def test_nul_bytes_in_query_parameters_and_paths_are_refused(client, url):
    assert client.get(url).status_code == 400


def test_a_newline_in_an_organization_name_stays_out_of_the_invitation_email(owner, django_capture_on_commit_callbacks):
    organization = Membership.objects.get(user=owner).organization
    response = api(owner).patch(
        f"/api/v1/organizations/{organization.pk}/", {"name": "Acme\nBcc: everyone@example.test"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Bcc: everyone@example.test"
    organization.name = "Old\r\nname"  # a row saved before names were kept to one line
    organization.save()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=owner, organization_id=organization.pk, email="new@example.test", role=Role.MEMBER)
    assert mail.outbox[-1].subject.endswith("You are invited to join Old name")


def test_organization_invitations_expire(settings, owner):
    invitation = OrganizationInvitationFactory(organization=Membership.objects.get(user=owner).organization)
    OrganizationInvitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=settings.ORG_INVITATION_EXPIRY_DAYS, minutes=1)
    )
    invitee = UserFactory(email=invitation.email)
    with pytest.raises(Exception) as refused:
        invitation_accept(user=invitee, token=invitation.token)
    assert refused.value.code == "invitation_expired"
    # The expired link gives way to a new invitation for the same address.
    fresh = invitation_create(
        actor=owner, organization_id=invitation.organization_id, email=invitation.email, role=Role.MEMBER
    )
    assert invitation_accept(user=invitee, token=fresh.token).organization_id == invitation.organization_id


def test_the_schema_says_what_the_responses_are(client, owner):
    schema = client.get("/api/schema/?format=json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    search = paths["/api/v1/jobs/"]["get"]["responses"]
    assert search["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/JobSearchPage"}
    assert {"400", "401"} <= set(search)
    mine = paths["/api/v1/jobs/mine/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "results" in components[mine["$ref"].rsplit("/", 1)[1]]["properties"]
    work_start = components["Job"]["properties"]["work_start"]
    assert "format" not in work_start and work_start["pattern"]
    close_reason = components["Job"]["properties"]["close_reason"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in close_reason["oneOf"]
    # What the schema says is what a job looks like.
    job = api(owner).get(f"/api/v1/jobs/{JobFactory(organization=Membership.objects.get(user=owner).organization).pk}/")
    assert job.json()["close_reason"] == "" and job.json()["work_start"] == "09:00:00"
