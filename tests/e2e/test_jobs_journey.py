"""A client posts a job with the form; a freelancer finds it by searching and filtering (htmx, with the filters in
the URL), sends a proposal; the client shortlists it. Every page on the way is checked with axe-core."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from jobs.models import Proposal
from tests.e2e.conftest import assert_accessible
from tests.factories import (
    FreelancerProfileFactory,
    JobFactory,
    MembershipFactory,
    OrganizationFactory,
    ProposalFactory,
    SkillFactory,
)

PASSWORD = "correct-horse-battery"


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def log_out(page):
    page.get_by_role("button", name="Log out").click()


@pytest.mark.django_db(transaction=True)
def test_post_find_propose_shortlist(page, live_server):
    base = live_server.url
    SkillFactory(name="Kotlin")
    SkillFactory(name="Swift")
    organization = OrganizationFactory(name="Harbour Apps", timezone="America/New_York")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory(headline="Android developer", timezone="Europe/Lisbon").user

    # The client posts a job through the form.
    log_in(page, base, client_user.email)
    assert_accessible(page, "jobs-dashboard-client")
    page.get_by_role("link", name="Jobs", exact=True).click()
    assert_accessible(page, "jobs-my-jobs-empty")
    page.get_by_role("link", name="Post a job").click()
    page.get_by_label("Title").fill("Kotlin developer for a ferry booking app")
    page.get_by_label("Description").fill("Build the Android booking flow with tests.\nWe work from New York.")
    page.get_by_label("Skills").select_option(label="Kotlin")
    page.get_by_label("Category").select_option("development")
    page.get_by_label("Hourly rate", exact=True).check()
    page.get_by_label("Hourly rate from (USD)").fill("40")
    page.get_by_label("Hourly rate up to (USD)").fill("70")
    page.get_by_label("Expected duration").select_option("1_3m")
    page.get_by_label("Experience level").select_option("expert")
    page.get_by_label("Public: anyone can find it").check()
    page.get_by_label("Hours of overlap needed each day").fill("2")
    page.get_by_label("Screening questions").fill("Which Kotlin coroutines patterns do you use?")
    assert_accessible(page, "jobs-post-form")
    page.get_by_role("button", name="Publish job").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kotlin developer for a ferry booking app")
    expect(page.get_by_text("Your job is open")).to_be_visible()
    assert_accessible(page, "jobs-detail-client")
    log_out(page)

    # The freelancer finds it by searching and filtering; htmx swaps the results and keeps the filters in the URL.
    log_in(page, base, freelancer.email)
    page.get_by_role("link", name="Find work").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find work")
    page.get_by_label("Search jobs").fill("ferry")
    expect(page).to_have_url(re.compile(r"q=ferry"))
    page.get_by_label("Expert").check()
    expect(page).to_have_url(re.compile(r"experience=expert"))
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Kotlin developer for a ferry booking app")).to_be_visible()
    page.get_by_label("Entry level").check()
    page.get_by_label("Expert").uncheck()
    expect(results.get_by_text("No open jobs match these filters")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"experience=expert"))
    page.get_by_label("Entry level").uncheck()
    page.get_by_label("Expert").check()
    expect(results.get_by_role("link", name="Kotlin developer for a ferry booking app")).to_be_visible()
    assert_accessible(page, "jobs-search-results")
    results.get_by_role("link", name="Kotlin developer for a ferry booking app").click()
    assert_accessible(page, "jobs-detail-freelancer")
    page.get_by_role("link", name="Send a proposal").click()
    page.get_by_label("Cover letter").fill("I shipped two booking apps in Kotlin last year.")
    page.get_by_label("Which Kotlin coroutines patterns do you use?").fill("Structured concurrency and flows.")
    page.get_by_label("Your hourly rate (USD)").fill("55")
    page.get_by_label("Estimated duration").select_option("1_3m")
    assert_accessible(page, "jobs-proposal-form")
    page.get_by_role("button", name="Send proposal").click()
    expect(page.get_by_text("Proposal sent.")).to_be_visible()
    assert_accessible(page, "jobs-proposal-sent")
    page.goto(base + "/proposals/")
    expect(page.get_by_role("cell", name="Submitted")).to_be_visible()
    assert_accessible(page, "jobs-my-proposals")
    log_out(page)

    # The client reviews and shortlists it.
    log_in(page, base, client_user.email)
    page.get_by_role("link", name="Jobs", exact=True).click()
    assert_accessible(page, "jobs-my-jobs")
    page.get_by_role("link", name="Kotlin developer for a ferry booking app", exact=True).click()
    page.get_by_role("link", name="Review proposals").click()
    expect(page.get_by_role("cell", name="$55.00 an hour")).to_be_visible()
    assert_accessible(page, "jobs-review")
    page.get_by_role("button", name=re.compile(r"^Shortlist")).click()
    expect(page.get_by_text("Shortlisted.")).to_be_visible()
    expect(page.get_by_role("cell", name="Shortlisted")).to_be_visible()
    assert_accessible(page, "jobs-review-shortlisted")
    assert Proposal.objects.get().status == Proposal.Status.SHORTLISTED

    # And opens a conversation about it.
    page.get_by_role("button", name=re.compile(r"^Message")).click()
    page.get_by_label("Your message").fill("Thanks! Can we talk on Tuesday?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thanks! Can we talk on Tuesday?")).to_be_visible()
    assert_accessible(page, "jobs-conversation")


@pytest.mark.django_db(transaction=True)
def test_find_talent_invite_and_saved_search(page, live_server):
    """A client finds a freelancer by overlap with a window across the date line and invites them; the freelancer
    accepts from the invitations page and saves a job search."""
    import datetime as dt

    from jobs.search.index import talent_index_refresh
    from kernel.windows import to_utc
    from tests.factories import JobFactory

    base = live_server.url
    organization = OrganizationFactory(name="Harbour Apps", timezone="America/Los_Angeles")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    JobFactory(organization=organization, title="Swift developer for our ferry app")
    auckland = FreelancerProfileFactory(headline="Swift engineer in Auckland", timezone="Pacific/Auckland")
    window = to_utc(timezone="Pacific/Auckland", start=dt.time(9), end=dt.time(17))
    auckland.work_utc_start_minute, auckland.work_minutes = window.start_minute, window.minutes
    auckland.save()
    lisbon = FreelancerProfileFactory(headline="Swift engineer in Lisbon", timezone="Europe/Lisbon")
    for profile in (auckland, lisbon):
        talent_index_refresh(profile=profile)

    log_in(page, base, client_user.email)
    page.get_by_role("link", name="Find talent").first.click()
    expect(page.get_by_label("In time zone")).to_have_value("America/Los_Angeles")
    page.get_by_label("Search freelancers").fill("swift")
    results = page.locator("#results")
    expect(results.get_by_text("Swift engineer in Lisbon")).to_be_visible()
    page.get_by_label("Hours of overlap at least").fill("3")
    page.get_by_label("Hours of overlap at least").press("Tab")
    expect(page).to_have_url(re.compile(r"min_overlap=3"))
    expect(results.get_by_text("Swift engineer in Lisbon")).to_be_hidden()
    expect(results.get_by_text("Swift engineer in Auckland")).to_be_visible()
    assert_accessible(page, "jobs-talent-search")
    results.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Invitation sent.")).to_be_visible()
    log_out(page)

    log_in(page, base, auckland.user.email)
    page.goto(base + "/job-invitations/")
    assert_accessible(page, "jobs-invitations")
    page.get_by_role("button", name=re.compile(r"^Accept and write a proposal")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send a proposal")
    page.goto(base + "/jobs/?q=swift")
    page.get_by_label("Name this search").fill("Swift jobs")
    page.get_by_role("button", name="Save this search").click()
    expect(page.get_by_role("link", name="Swift jobs")).to_be_visible()
    assert_accessible(page, "jobs-saved-searches")


@pytest.mark.django_db(transaction=True)
def test_phone_width_tables_scroll_inside_and_back_returns_to_the_whole_search_page(page, live_server):
    base = live_server.url
    organization = OrganizationFactory(name="Harbour Apps")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    job = JobFactory(organization=organization, title="Kotlin developer for a ferry app")
    ProposalFactory(job=job, freelancer=FreelancerProfileFactory(headline="Android developer"))
    freelancer = FreelancerProfileFactory(headline="Kotlin person").user

    # A phone: the proposals table scrolls inside its box; the page itself never gets wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, base, client_user.email)
    page.goto(f"{base}/jobs/{job.pk}/proposals/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "jobs-review-phone")
    log_out(page)

    # Filtering pushes URLs through htmx; after visiting a job, Back shows the whole page again, filters and all.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, freelancer.email)
    page.goto(f"{base}/jobs/")
    page.get_by_label("Search jobs").fill("kotlin")
    expect(page).to_have_url(re.compile(r"q=kotlin"))
    page.get_by_role("link", name="Kotlin developer for a ferry app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kotlin developer for a ferry app")
    page.go_back()
    expect(page.get_by_label("Search jobs")).to_have_value("kotlin")
    expect(page.get_by_role("link", name="Kotlin developer for a ferry app")).to_be_visible()
