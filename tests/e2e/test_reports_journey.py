"""Reports and the moderation queue in the browser.

A freelancer reports a scam job from its page, a moderator closes the report in the Django admin by hiding the job,
the client learns why and the freelancer that the report was reviewed. Reporting a profile goes the same way. The
pages on the way are checked with axe-core."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from accounts.models import Role
from jobs.models import Job
from messaging.models import Report
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_disputes_journey import PASSWORD, log_in, log_out
from tests.factories import FreelancerProfileFactory, JobFactory, MembershipFactory, OrganizationFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_reported_job_is_hidden_from_the_moderation_queue(page, live_server):
    base = live_server.url
    organization = OrganizationFactory(name="Quick Cash Ltd")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    job = JobFactory(organization=organization, created_by=client_user, title="Easy money, pay a deposit first")
    freelancer = FreelancerProfileFactory(headline="Web designer").user
    other = FreelancerProfileFactory(headline="Illustrator")
    moderator = UserFactory(is_staff=True, email="moderator@example.test")
    names = [("kernel", "moderate"), ("messaging", "view_report")]
    moderator.user_permissions.add(
        *[Permission.objects.get(content_type__app_label=app, codename=code) for app, code in names]
    )

    # The freelancer reports the job from its page, by keyboard-reachable controls.
    log_in(page, base, freelancer.email)
    page.goto(f"{base}/jobs/{job.pk}/")
    page.get_by_text("Report this job").click()
    page.get_by_label("What is wrong?").select_option("scam")
    page.get_by_label("Tell staff what you saw").fill("They ask for a $50 deposit before any work.")
    assert_accessible(page, "report-job-form")
    page.get_by_role("button", name="Report to staff").click()
    expect(page.get_by_text("Thank you: staff will look at it")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/jobs/{job.pk}/$"))

    # An empty report comes back as the report page with its error.
    page.goto(f"{base}/freelancers/{other.pk}/")
    page.get_by_text("Report this profile").click()
    page.get_by_label("What is wrong?").select_option("fake")
    page.get_by_role("button", name="Report to staff").click()  # the browser asks for the reason first
    assert Report.objects.count() == 1
    page.goto(f"{base}/reports/new/?target=profile:{other.pk}")
    assert_accessible(page, "report-page")
    page.get_by_label("What is wrong?").select_option("fake")
    page.get_by_label("Tell staff what you saw").fill("The portfolio is someone else's work.")
    page.get_by_role("button", name="Report to staff").click()
    expect(page.get_by_text("Thank you: staff will look at it")).to_be_visible()
    log_out(page)

    # The moderator hides the job from the queue, with a reason the client reads.
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email").fill(moderator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/admin/messaging/report/?kind=job")
    report = Report.objects.get(target=f"job:{job.pk}")
    page.locator(f"input[name='_selected_action'][value='{report.pk}']").check()
    page.locator("select[name='action']").select_option("hide_content")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("Asking for a deposit is a scam: jobs are paid through escrow.")
    page.get_by_role("button", name="Hide what was reported").click()
    expect(page.get_by_text("Hide what was reported: done for 1.")).to_be_visible()
    page.context.clear_cookies()
    job.refresh_from_db()
    assert job.status == Job.Status.CLOSED

    # The client learns why; the reporter learns the report was reviewed.
    log_in(page, base, client_user.email)
    page.goto(f"{base}/notifications/")
    expect(page.get_by_role("link", name=re.compile("was closed by our staff"))).to_be_visible()
    log_out(page)
    log_in(page, base, freelancer.email)
    page.goto(f"{base}/notifications/")
    expect(page.get_by_text("It broke our rules and we took it down.", exact=False)).to_be_visible()
    assert_accessible(page, "report-reviewed-notification")
