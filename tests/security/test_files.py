"""Item 2 of issue 14: stored files are served only by kernel.files' view, to whoever may read the row holding them,
under random names, as downloads unless they are checked images, never as HTML or SVG."""

import io
import re

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models
from PIL import Image

from accounts.models import PortfolioItem, Role
from jobs.models import Job, JobAttachment
from kernel import files
from kernel.files import url_for
from kernel.uploads import check_upload
from tests.factories import FreelancerProfileFactory, JobFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

# An HTML page that would read the victim's /api/v1/me/ if the site ever rendered it.
HTML = b'<html><body><script src="/files/evil.js"></script>Brief</body></html>'
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/api/v1/me/")</script></svg>'


def _attach(job: Job, name: str, content: bytes) -> JobAttachment:
    upload = ContentFile(content, name=name)
    return JobAttachment.objects.create(
        job=job, file=upload, name=name, content_type=check_upload(upload), size=len(content)
    )


def _png(size=(4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def draft():
    """A draft job brief: only its organization may read it."""
    return JobFactory(status=Job.Status.DRAFT, published_at=None)


def test_every_model_holding_a_file_says_who_may_read_it():
    holders = {
        model._meta.label_lower
        for model in apps.get_models()
        if any(isinstance(field, models.FileField) for field in model._meta.get_fields())
    }
    assert holders, "no model holds a file?"
    assert holders <= set(files._registry), holders - set(files._registry)


def test_stored_names_are_random_never_the_uploaders(draft):
    first = _attach(draft, "brief.html", HTML)
    second = _attach(draft, "brief.html", HTML)
    for stored in (first.file.name, second.file.name):
        assert re.fullmatch(r"jobs/\d{4}/\d{2}/[0-9a-f]{32}", stored), stored
    assert first.file.name != second.file.name


def test_a_draft_brief_goes_only_to_its_organization(client, draft):
    attachment = _attach(draft, "brief.pdf", b"%PDF-1.4 secret plans")
    url = url_for(attachment)
    assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(role=Role.OWNER).user)
    assert client.get(url).status_code == 404
    client.force_login(FreelancerProfileFactory().user)
    assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(organization=draft.organization, role=Role.MEMBER).user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 secret plans"
    assert response["Content-Type"] == "application/pdf"


def test_there_is_no_public_media_url(client, draft):
    attachment = _attach(draft, "brief.pdf", b"%PDF-1.4 secret plans")
    assert client.get(f"/media/{attachment.file.name}").status_code == 404


def test_unknown_kinds_and_ids_are_404(client, draft):
    attachment = _attach(draft, "brief.pdf", b"%PDF-1.4 x")
    client.force_login(MembershipFactory(organization=draft.organization).user)
    assert client.get(f"/files/auth.user/{attachment.pk}/").status_code == 404
    assert client.get(f"/files/jobs.jobattachment/{attachment.pk + 1000}/").status_code == 404


@pytest.mark.parametrize(("name", "content"), [("brief.html", HTML), ("logo.svg", SVG)])
def test_html_and_svg_uploads_come_back_as_plain_text_downloads(client, name, content):
    public = JobFactory()
    response = client.get(url_for(_attach(public, name, content)))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]


def test_even_an_image_attachment_is_a_download(client):
    response = client.get(url_for(_attach(JobFactory(), "shot.png", _png())))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")


def test_public_portfolio_images_show_to_anyone_with_debug_off(client, settings):
    settings.DEBUG = False
    item = PortfolioItem.objects.create(
        profile=FreelancerProfileFactory(), title="Shop", image=ContentFile(_png(), name="shop.png")
    )
    response = client.get(url_for(item))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/freelancers/{item.profile_id}/")
    assert url_for(item) in page.content.decode()


def test_a_portfolio_file_that_is_not_an_image_is_a_download(client):
    item = PortfolioItem.objects.create(
        profile=FreelancerProfileFactory(), title="Shop", image=ContentFile(HTML, name="shop.html")
    )
    response = client.get(url_for(item))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_an_inactive_freelancers_portfolio_is_gone(client):
    profile = FreelancerProfileFactory(user=UserFactory(is_active=False))
    item = PortfolioItem.objects.create(profile=profile, title="Shop", image=ContentFile(_png(), name="a.png"))
    assert client.get(url_for(item)).status_code == 404


def test_files_go_through_the_storage_api_not_the_disk(client, settings):
    """Object storage (django-storages) has no filesystem path: Django's in-memory storage has none either."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    attachment = _attach(JobFactory(organization=OrganizationFactory()), "notes.txt", b"plain notes")
    assert not (settings.MEDIA_ROOT / attachment.file.name).exists()
    response = client.get(url_for(attachment))
    assert b"".join(response.streaming_content) == b"plain notes"


def test_the_api_links_files_to_the_serving_view(draft):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(MembershipFactory(organization=draft.organization, role=Role.OWNER).user)
    upload = SimpleUploadedFile("brief.pdf", b"%PDF-1.4 x")
    response = api.post(f"/api/v1/jobs/{draft.pk}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["url"] == f"http://testserver{url_for(JobAttachment.objects.get(job=draft))}"
