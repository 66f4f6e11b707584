"""Freelancer profiles: validation (page and API share it), the UTC working window, the pages."""

import io
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import FreelancerProfile, PortfolioItem, ProfileLanguage
from accounts.services.profiles import profile_refresh_utc_window, profile_update
from kernel.errors import InvalidInput
from tests.factories import (
    FreelancerProfileFactory,
    MembershipFactory,
    ProfileLanguageFactory,
    SkillFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 80, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name="shot.png", content=None, content_type="image/png"):
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type=content_type)


def test_profile_update_recomputes_the_stored_window():
    profile = FreelancerProfileFactory()
    profile_update(profile=profile, timezone="Asia/Kolkata", work_start=time(9), work_end=time(17))
    profile.refresh_from_db()
    assert (profile.work_utc_start_minute, profile.work_minutes) == (210, 480)


def test_refresh_utc_window_follows_a_dst_change():
    profile = FreelancerProfileFactory(timezone="Europe/Lisbon", work_start=time(9), work_end=time(17))
    FreelancerProfile.objects.filter(pk=profile.pk).update(work_utc_start_minute=0)
    assert profile_refresh_utc_window(profile) is True
    assert profile.work_utc_start_minute in (480, 540)
    assert profile_refresh_utc_window(profile) is False


# --- validation in the service ---


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"hourly_rate_cents": 299}, "hourly_rate_cents", "between $3.00 and $999.00"),
        ({"hourly_rate_cents": 99_901}, "hourly_rate_cents", "between $3.00 and $999.00"),
        ({"timezone": "Europe/Atlantis"}, "timezone", "not a time zone we know"),
        ({"work_start": time(9), "work_end": time(9)}, "work_end", "different times"),
        ({"work_start": time(6), "work_end": time(23)}, "work_end", "at most 16 hours"),
        ({"languages": [("xx", "fluent")]}, "languages", "not a language we know"),
        ({"languages": [("en", "fluent"), ("en", "basic")]}, "languages", "listed once"),
    ],
)
def test_profile_update_refuses_bad_values(changes, field, text):
    profile = FreelancerProfileFactory()
    with pytest.raises(InvalidInput) as exc:
        profile_update(profile=profile, **changes)
    assert exc.value.status == 400
    assert text in " ".join(exc.value.errors[field])


def test_a_window_of_exactly_sixteen_hours_across_midnight_is_fine():
    profile = FreelancerProfileFactory(timezone="UTC")
    profile_update(profile=profile, work_start=time(16), work_end=time(8))
    profile.refresh_from_db()
    assert (profile.work_utc_start_minute, profile.work_minutes) == (960, 960)


def test_profile_update_sets_skills_and_languages():
    profile = FreelancerProfileFactory()
    ProfileLanguageFactory(profile=profile, code="de")
    django_skill, react = SkillFactory(name="Django"), SkillFactory(name="React")
    profile_update(
        profile=profile, skill_ids=[django_skill.pk, react.pk], languages=[("en", "native"), ("pt", "basic")]
    )
    assert set(profile.skills.values_list("name", flat=True)) == {"Django", "React"}
    assert dict(profile.languages.values_list("code", "proficiency")) == {"en": "native", "pt": "basic"}


# --- the edit page ---


def _form_data(**overrides):
    data = {
        "headline": "Django developer",
        "overview": "I build things.",
        "hourly_rate": "45.50",
        "country": "PT",
        "timezone": "Asia/Kolkata",
        "work_start": "22:00",
        "work_end": "06:00",
        "availability_hours_per_week": "30",
        "experience_level": "expert",
        "languages-TOTAL_FORMS": "2",
        "languages-INITIAL_FORMS": "0",
        "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "20",
        "languages-0-code": "en",
        "languages-0-proficiency": "fluent",
        "languages-1-code": "",
        "languages-1-proficiency": "fluent",
        **overrides,
    }
    return data


@pytest.fixture
def freelancer_client(client):
    profile = FreelancerProfileFactory()
    client.force_login(profile.user)
    client.profile = profile
    return client


def test_profile_page_saves_everything_and_stores_cents(freelancer_client):
    skill = SkillFactory(name="Django")
    response = freelancer_client.post("/profile/", {**_form_data(), "skills": [str(skill.pk)]})
    assert response.status_code == 302
    profile = FreelancerProfile.objects.get(pk=freelancer_client.profile.pk)
    assert profile.hourly_rate_cents == 4550
    assert (profile.timezone, profile.work_start, profile.work_end) == ("Asia/Kolkata", time(22), time(6))
    assert (profile.work_utc_start_minute, profile.work_minutes) == (16 * 60 + 30, 480)
    assert list(profile.skills.values_list("name", flat=True)) == ["Django"]
    assert list(profile.languages.values_list("code", flat=True)) == ["en"]


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"hourly_rate": "2.99"}, "between $3.00 and $999.00"),
        ({"hourly_rate": "1000"}, "between $3.00 and $999.00"),
        ({"timezone": "Mars/Base"}, "not a time zone we know"),
        ({"work_start": "09:00", "work_end": "09:00"}, "different times"),
        ({"work_start": "05:00", "work_end": "22:00"}, "at most 16 hours"),
        ({"languages-1-code": "en"}, "Each language can be listed once"),
    ],
)
def test_profile_page_shows_clear_errors(freelancer_client, overrides, text):
    before = FreelancerProfile.objects.get(pk=freelancer_client.profile.pk).hourly_rate_cents
    response = freelancer_client.post("/profile/", _form_data(**overrides))
    assert response.status_code == 200
    assert text in response.content.decode()
    assert FreelancerProfile.objects.get(pk=freelancer_client.profile.pk).hourly_rate_cents == before


def test_profile_page_offers_the_time_zones_and_skill_fallback(freelancer_client):
    SkillFactory(name="Cobol")
    html = freelancer_client.get("/profile/").content.decode()
    assert '<datalist id="timezone-options">' in html
    assert '<option value="Asia/Kolkata">' in html
    assert '<select multiple name="skills"' in html and "Cobol" in html


def test_skill_search_returns_matching_unchosen_skills(freelancer_client):
    chosen, match, other = SkillFactory(name="Django REST"), SkillFactory(name="Django"), SkillFactory(name="Figma")
    response = freelancer_client.get("/profile/skills/search/", {"skill_q": "djan", "skills": [chosen.pk]})
    html = response.content.decode()
    assert f'name="skills" value="{match.pk}"' in html
    assert f'value="{chosen.pk}"' not in html
    assert f'value="{other.pk}"' not in html


def test_the_profile_page_is_only_for_freelancers(client):
    client.force_login(UserFactory())
    assert client.get("/profile/").status_code == 404


# --- portfolio on the page ---


def test_portfolio_accepts_a_real_image(freelancer_client):
    response = freelancer_client.post("/profile/portfolio/", {"title": "Landing page", "image": upload()})
    assert response.status_code == 302
    item = PortfolioItem.objects.get(profile=freelancer_client.profile)
    assert item.image.name.startswith("portfolio/") and "shot" not in item.image.name


@pytest.mark.parametrize(
    ("file", "text"),
    [
        (lambda: upload(content=b"%PDF-1.4 this is not a picture"), "not an image we can read"),
        (lambda: upload(content=png_bytes() + b"\0" * (2 * 1024 * 1024)), "too large"),
    ],
)
def test_portfolio_refuses_fake_and_oversized_images(freelancer_client, file, text):
    response = freelancer_client.post("/profile/portfolio/", {"title": "Bad", "image": file()})
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not PortfolioItem.objects.exists()


def test_portfolio_item_delete_is_scoped_to_the_owner(freelancer_client):
    other = PortfolioItem.objects.create(profile=FreelancerProfileFactory(), title="Not yours")
    assert freelancer_client.post(f"/profile/portfolio/{other.pk}/delete/").status_code == 404
    mine = PortfolioItem.objects.create(profile=freelancer_client.profile, title="Mine")
    freelancer_client.post(f"/profile/portfolio/{mine.pk}/delete/")
    assert not PortfolioItem.objects.filter(pk=mine.pk).exists()


# --- the public page ---


def test_public_page_shows_the_profile_but_not_the_email(client):
    profile = FreelancerProfileFactory(headline="Illustrator for children's books")
    ProfileLanguageFactory(profile=profile, code="pt", proficiency=ProfileLanguage.Proficiency.NATIVE)
    PortfolioItem.objects.create(profile=profile, title="Picture book")
    html = client.get(f"/freelancers/{profile.pk}/").content.decode()
    assert "Illustrator for children&#x27;s books" in html
    assert "Portuguese" in html and "Picture book" in html
    assert profile.user.email not in html
    assert "New on the platform" in html


@pytest.mark.parametrize(("role", "offers"), [("hiring_manager", True), ("owner", True), ("finance", False)])
def test_public_page_offers_to_hire_only_to_those_who_may(client, role, offers):
    profile = FreelancerProfileFactory()
    client.force_login(MembershipFactory(role=role).user)
    html = client.get(f"/freelancers/{profile.pk}/").content.decode()
    assert (f"/contracts/offers/new/?freelancer={profile.pk}" in html) is offers


def test_public_page_shows_the_job_success_score_when_there_is_one(client):
    profile = FreelancerProfileFactory()
    FreelancerProfile.objects.filter(pk=profile.pk).update(job_success_score=93)
    html = client.get(f"/freelancers/{profile.pk}/").content.decode()
    assert "Job success 93%" in html
    assert "New on the platform" not in html


def test_public_page_shows_hours_in_the_viewers_zone(client):
    profile = FreelancerProfileFactory(timezone="Asia/Kolkata")
    profile_update(profile=profile, work_start=time(9), work_end=time(17))
    viewer = FreelancerProfileFactory(timezone="UTC").user
    client.force_login(viewer)
    html = client.get(f"/freelancers/{profile.pk}/").content.decode()
    assert "09:00–17:00 their time" in html
    assert "03:30–11:30 your time (UTC)" in html


def test_unknown_profile_is_404(client):
    assert client.get("/freelancers/999999/").status_code == 404


def test_dashboard_shows_what_the_profile_is_missing(client):
    profile = FreelancerProfileFactory(headline="", hourly_rate_cents=None)
    client.force_login(profile.user)
    html = client.get("/dashboard/").content.decode()
    assert "Still missing: a headline" in html
    assert "an hourly rate" in html
    assert "/profile/" in html


def test_anonymous_viewers_see_the_hours_in_utc_too(client):
    profile = FreelancerProfileFactory(timezone="Asia/Kolkata")
    profile_update(profile=profile, work_start=time(9), work_end=time(17))
    html = client.get(f"/freelancers/{profile.pk}/").content.decode()
    assert "03:30–11:30 UTC" in html


def test_public_page_query_count_does_not_grow_with_the_profile(client, django_assert_max_num_queries):
    profile = FreelancerProfileFactory()
    for n in range(6):
        profile.skills.add(SkillFactory())
        PortfolioItem.objects.create(profile=profile, title=f"Item {n}")
    for code in ("en", "pt", "es"):
        ProfileLanguageFactory(profile=profile, code=code)
    with django_assert_max_num_queries(8):
        assert client.get(f"/freelancers/{profile.pk}/").status_code == 200
