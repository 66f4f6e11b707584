"""Job search, talent search and saved searches: relevance, every filter, and the overlap across midnight.

These run on both databases (SQLite's simple path and PostgreSQL's full-text path) with the same expectations.
"""

import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import Job
from jobs.search.index import talent_index_refresh, talent_index_refresh_stale
from jobs.search.params import JobSearchParams, TalentSearchParams
from jobs.search.query import job_search, talent_search
from jobs.services.jobs import job_create, job_publish
from jobs.services.saved_searches import saved_search_check, saved_search_create
from kernel.windows import to_utc
from messaging.models import Notification
from tests.factories import FreelancerProfileFactory, JobFactory, ProfileLanguageFactory, SkillFactory

pytestmark = pytest.mark.django_db

WINTER = dt.date(2026, 1, 15)


def titles(page) -> list[str]:
    return [hit.job.title for hit in page.results]


def search(user, **params):
    return job_search(params=JobSearchParams(**params), user=user)


def test_a_title_match_ranks_above_a_description_match(freelancer):
    JobFactory(title="Mobile app polish", description="Needs a seasoned kotlin developer.")
    JobFactory(title="Kotlin developer", description="Build our Android app.")
    assert titles(search(freelancer, q="kotlin"))[:2] == ["Kotlin developer", "Mobile app polish"]


def test_a_skill_match_is_found_by_text(freelancer):
    JobFactory(title="Data cleanup", skills=[SkillFactory(name="Pandas")])
    JobFactory(title="Logo refresh", skills=[SkillFactory(name="Illustrator")])
    assert titles(search(freelancer, q="pandas")) == ["Data cleanup"]


def test_only_open_public_jobs_are_found(freelancer):
    JobFactory(title="Open kotlin job")
    JobFactory(title="Draft kotlin job", status=Job.Status.DRAFT, published_at=None)
    JobFactory(title="Closed kotlin job", status=Job.Status.CLOSED, close_reason="filled")
    JobFactory(title="Private kotlin job", visibility=Job.Visibility.INVITE_ONLY)
    assert titles(search(freelancer, q="kotlin")) == ["Open kotlin job"]


def test_newest_first_and_pages_say_whether_there_is_more(freelancer):
    now = timezone.now()
    for i in range(5):
        JobFactory(title=f"Job {i}", published_at=now - dt.timedelta(hours=i))
    first = job_search(params=JobSearchParams(sort="newest"), user=freelancer, page_size=2)
    assert titles(first) == ["Job 0", "Job 1"] and first.has_more
    last = job_search(params=JobSearchParams(sort="newest", page=3), user=freelancer, page_size=2)
    assert titles(last) == ["Job 4"] and not last.has_more


def test_skill_filter_needs_every_chosen_skill(freelancer):
    python, django = SkillFactory(name="Python"), SkillFactory(name="Django")
    JobFactory(title="Both", skills=[python, django])
    JobFactory(title="Python only", skills=[python])
    assert titles(search(freelancer, skill_ids=(python.pk, django.pk))) == ["Both"]
    assert sorted(titles(search(freelancer, skill_ids=(python.pk,)))) == ["Both", "Python only"]


def test_budget_type_and_range(freelancer):
    JobFactory(title="Cheap hourly", rate_min_cents=1000, rate_max_cents=2000)
    JobFactory(title="Pricey hourly", rate_min_cents=8000, rate_max_cents=12000)
    JobFactory(title="Fixed", budget_type="fixed", fixed_amount_cents=500_000, rate_min_cents=None, rate_max_cents=None)
    assert titles(search(freelancer, budget_type="fixed")) == ["Fixed"]
    assert titles(search(freelancer, budget_type="hourly", budget_min_cents=5000)) == ["Pricey hourly"]
    assert titles(search(freelancer, budget_type="hourly", budget_max_cents=3000)) == ["Cheap hourly"]
    assert titles(search(freelancer, budget_min_cents=100_000, budget_max_cents=600_000)) == ["Fixed"]


def test_experience_duration_and_posted_within(freelancer):
    JobFactory(title="Expert long", experience_level="expert", duration="gt_6m")
    JobFactory(
        title="Entry short old",
        experience_level="entry",
        duration="lt_1m",
        published_at=timezone.now() - dt.timedelta(days=10),
    )
    assert titles(search(freelancer, experience_levels=("expert",))) == ["Expert long"]
    assert titles(search(freelancer, durations=("lt_1m",))) == ["Entry short old"]
    assert titles(search(freelancer, posted_within_days=7)) == ["Expert long"]


def _set_window(profile, start, end, zone):
    profile.timezone = zone
    window = to_utc(timezone=zone, start=start, end=end, on=WINTER)
    profile.work_utc_start_minute, profile.work_minutes = window.start_minute, window.minutes
    profile.save()


def _job_in(zone, start, end, overlap, title):
    window = to_utc(timezone=zone, start=start, end=end, on=WINTER)
    return JobFactory(
        title=title,
        timezone=zone,
        work_utc_start_minute=window.start_minute,
        work_minutes=window.minutes,
        overlap_hours=overlap,
    )


def test_overlap_filter_across_the_date_line(freelancer):
    # Auckland 09–17 (+13) is 20:00–04:00 UTC; Los Angeles 09–17 (−8) is 17:00–01:00 UTC: 5 hours shared.
    _set_window(freelancer.freelancer_profile, dt.time(9), dt.time(17), "Pacific/Auckland")
    _job_in("America/Los_Angeles", dt.time(9), dt.time(17), 5, "LA needs five")
    _job_in("America/Los_Angeles", dt.time(9), dt.time(17), 6, "LA needs six")
    _job_in("Europe/Berlin", dt.time(9), dt.time(17), 1, "Berlin needs one")
    page = search(freelancer, fits_my_hours=True)
    assert titles(page) == ["LA needs five"]
    assert page.results[0].overlap_minutes == 300
    assert len(search(freelancer, fits_my_hours=False).results) == 3


def test_overlap_filter_across_midnight_utc(freelancer):
    # A Tokyo freelancer 07:00–15:00 (+9) works 22:00–06:00 UTC; a UTC client 02:00–10:00 shares 4 hours after midnight.
    _set_window(freelancer.freelancer_profile, dt.time(7), dt.time(15), "Asia/Tokyo")
    _job_in("UTC", dt.time(2), dt.time(10), 4, "Early bird")
    _job_in("UTC", dt.time(12), dt.time(20), 1, "Afternoon")
    assert titles(search(freelancer, fits_my_hours=True)) == ["Early bird"]


def test_a_job_needing_no_overlap_always_fits(freelancer):
    _set_window(freelancer.freelancer_profile, dt.time(9), dt.time(17), "Asia/Tokyo")
    _job_in("America/New_York", dt.time(9), dt.time(17), 0, "Async")
    assert titles(search(freelancer, fits_my_hours=True)) == ["Async"]


# --- Saved searches ---


def test_a_saved_search_notifies_once_about_new_matching_jobs(freelancer, owner, organization, python_skill):
    saved = saved_search_create(user=freelancer, name="Kotlin work", query="q=kotlin&sort=newest")
    JobFactory(title="Old kotlin job", published_at=timezone.now() - dt.timedelta(days=1))
    JobFactory(title="Kotlin developer")
    JobFactory(title="Graphic designer")
    assert saved_search_check(saved_search_id=saved.pk) == 1
    notification = Notification.objects.get(user=freelancer, kind="saved_search_match")
    assert "Kotlin developer" in notification.body and "Old kotlin job" not in notification.body
    assert saved_search_check(saved_search_id=saved.pk) == 0


def test_publishing_a_job_runs_the_saved_search_check(
    freelancer, owner, organization, python_skill, django_capture_on_commit_callbacks, settings
):
    from tests.jobs.conftest import job_fields

    settings.CELERY_TASK_ALWAYS_EAGER = True
    from marketplace.celery import app

    app.conf.task_always_eager = True
    try:
        saved_search_create(user=freelancer, name="Python", query=f"skills={python_skill.pk}")
        job = job_create(user=owner, organization_id=organization.pk, fields=job_fields([python_skill]))
        with django_capture_on_commit_callbacks(execute=True):
            job_publish(user=owner, job_id=job.pk)
    finally:
        app.conf.task_always_eager = False
    assert Notification.objects.filter(user=freelancer, kind="saved_search_match").count() == 1


def test_only_freelancers_save_searches(other_client):
    from kernel.errors import DomainError

    with pytest.raises(DomainError):
        saved_search_create(user=other_client, name="x", query="")


# --- Talent search ---


def talent(**params):
    params.setdefault("timezone", "UTC")
    return talent_search(params=TalentSearchParams(**params))


def names(page) -> list[str]:
    return [hit.profile.headline for hit in page.results]


def indexed(**fields):
    languages = fields.pop("languages", [])
    profile = FreelancerProfileFactory(**fields)
    for code in languages:
        ProfileLanguageFactory(profile=profile, code=code)
    talent_index_refresh(profile=profile)
    return profile


def test_talent_relevance_and_filters(db):
    python = SkillFactory(name="Python")
    indexed(headline="Kotlin engineer", overview="Android apps.", hourly_rate_cents=9000, country="PT", skills=[python])
    indexed(headline="Designer", overview="I sometimes write kotlin.", hourly_rate_cents=4000, country="BR")
    indexed(headline="Writer", overview="Copy.", hourly_rate_cents=2000, country="PT", languages=["pt", "en"])
    assert names(talent(q="kotlin")) == ["Kotlin engineer", "Designer"]
    assert names(talent(skill_ids=(python.pk,))) == ["Kotlin engineer"]
    assert sorted(names(talent(country="PT"))) == ["Kotlin engineer", "Writer"]
    assert names(talent(rate_min_cents=3000, rate_max_cents=5000)) == ["Designer"]
    assert names(talent(languages=("pt",))) == ["Writer"]
    assert names(talent(sort="rate")) == ["Writer", "Designer", "Kotlin engineer"]


def test_talent_score_filter_and_sort(db):
    from accounts.models import FreelancerProfile

    for headline, score in [("Proven", 95), ("Fine", 80), ("New", None)]:
        profile = indexed(headline=headline)
        FreelancerProfile.objects.filter(pk=profile.pk).update(job_success_score=score)
        profile.refresh_from_db()
        talent_index_refresh(profile=profile)
    assert names(talent(min_score=90)) == ["Proven"]
    assert names(talent(sort="score")) == ["Proven", "Fine", "New"]


def test_talent_overlap_with_a_window_across_the_date_line(db):
    auckland = indexed(headline="Auckland dev")
    _set_window(auckland, dt.time(9), dt.time(17), "Pacific/Auckland")
    talent_index_refresh(profile=auckland)
    lisbon = indexed(headline="Lisbon dev")
    _set_window(lisbon, dt.time(9), dt.time(17), "Europe/Lisbon")
    talent_index_refresh(profile=lisbon)
    page = talent(timezone="America/Los_Angeles", work_start=dt.time(9), work_end=dt.time(17), min_overlap_hours=4)
    # Los Angeles in summer is −7, so the shared time may be 4 or 5 hours depending on today's date; Lisbon ~0–1.
    assert names(page) == ["Auckland dev"]
    assert page.results[0].overlap_hours >= 4


def test_the_periodic_refresh_indexes_new_and_changed_profiles(db):
    from jobs.models import TalentIndex

    profile = FreelancerProfileFactory(headline="Before")
    assert talent_index_refresh_stale() == 1
    assert talent_index_refresh_stale() == 0
    profile.hourly_rate_cents = 7777
    profile.save()
    assert talent_index_refresh_stale() == 1
    assert TalentIndex.objects.get(profile=profile).hourly_rate_cents == 7777
