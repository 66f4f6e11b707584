"""Reports of a job, a profile or a message, and the one moderation queue staff work in the admin (issue 17 item 5):
what was seen is copied onto the report; hide, warn, suspend and dismiss go through the services, each audited, the
affected user told and every reporter told their report was reviewed."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.selectors import public_profiles
from jobs.models import Job
from jobs.search.index import talent_index_refresh
from jobs.search.params import TalentSearchParams
from jobs.search.query import talent_search
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kernel.models import AuditEntry
from kernel.refs import Kind, ref
from messaging import services
from messaging.models import Message, Notification, Report
from tests.factories import FreelancerProfileFactory, JobFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    staff = UserFactory(is_staff=True)
    names = [("kernel", "moderate"), ("messaging", "view_report")]
    perms = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in names]
    staff.user_permissions.add(*perms)
    return staff


@pytest.fixture
def job(room):
    return JobFactory(organization=room.organization, created_by=room.hiring, title="Logo for a bakery")


def report(reporter, kind, pk, category="scam", reason="Asks to be paid by wire transfer"):
    return services.report_create(reporter=reporter, kind=kind, target_id=pk, category=category, reason=reason)


def resolve(staff, found, outcome, reason="Breaks the rules on payments"):
    return services.report_resolve(staff=staff, report_id=found.pk, outcome=outcome, reason=reason)


def test_a_job_a_profile_and_a_message_are_reported_with_what_the_reporter_saw(room, job):
    on_job = report(room.freelancer, Kind.JOB, job.pk)
    assert (on_job.target, on_job.subject_title, on_job.subject_author) == (
        ref(Kind.JOB, job.pk),
        "the job “Logo for a bakery”",
        room.hiring,
    )
    assert on_job.subject_text == job.description and on_job.is_open
    profile = room.freelancer.freelancer_profile
    on_profile = report(room.owner, Kind.PROFILE, profile.pk, category="fake")
    assert on_profile.subject_author == room.freelancer and profile.headline in on_profile.subject_text
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="pay me on the side")
    on_message = report(room.owner, Kind.MESSAGE, message.pk)
    assert on_message.subject_text == "pay me on the side" and "Landing page" in on_message.subject_title
    # Edited afterwards: staff still judge what was reported.
    Job.objects.filter(pk=job.pk).update(description="Harmless now")
    assert Report.objects.get(pk=on_job.pk).subject_text == job.description


def test_reports_that_cannot_be_made_are_refused_clearly(room, job):
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="hello")
    draft = JobFactory(status=Job.Status.DRAFT)
    for reporter, kind, pk, error in [
        (room.owner, Kind.JOB, job.pk, DomainError),  # their organization's own job
        (room.freelancer, Kind.PROFILE, room.freelancer.freelancer_profile.pk, DomainError),
        (room.freelancer, Kind.MESSAGE, message.pk, DomainError),
        (room.freelancer, Kind.JOB, draft.pk, NotFound),  # a draft of someone else: not there for them
        (room.outsider, Kind.MESSAGE, message.pk, NotFound),  # not a conversation they read
        (room.freelancer, Kind.JOB, 2**63, NotFound),
        (room.freelancer, Kind.JOB, -1, NotFound),
    ]:
        with pytest.raises(error) as refused:
            report(reporter, kind, pk)
        if error is DomainError:
            assert refused.value.code == "own_content"
    with pytest.raises(InvalidInput) as refused:
        services.report_create(reporter=room.freelancer, kind="contract", target_id=1, category="nope", reason=" ")
    assert set(refused.value.errors) == {"kind", "category", "reason"}
    first = report(room.freelancer, Kind.JOB, job.pk)
    with pytest.raises(DomainError) as twice:
        report(room.freelancer, Kind.JOB, job.pk)
    assert twice.value.code == "already_reported"
    # Once staff have looked, the same person may report it again (it may have changed since).
    resolve(UserFactory(is_staff=True, is_superuser=True), first, Report.Status.DISMISSED)
    assert report(room.freelancer, Kind.JOB, job.pk).is_open


def test_a_reporter_sends_at_most_so_many_reports_a_day(room, settings):
    settings.REPORTS_PER_DAY = 2
    jobs = [JobFactory() for _ in range(3)]
    report(room.freelancer, Kind.JOB, jobs[0].pk)
    report(room.freelancer, Kind.JOB, jobs[1].pk)
    with pytest.raises(DomainError) as refused:
        report(room.freelancer, Kind.JOB, jobs[2].pk)
    assert (refused.value.code, refused.value.status) == ("report_rate_limited", 429)


def test_hiding_a_job_closes_it_tells_its_client_and_every_reporter(room, job, moderator):
    first = report(room.freelancer, Kind.JOB, job.pk)
    other = FreelancerProfileFactory().user
    second = report(other, Kind.JOB, job.pk, category="spam")
    closed = resolve(moderator, first, Report.Status.HIDDEN)
    assert {row.pk for row in closed} == {first.pk, second.pk}
    job.refresh_from_db()
    assert job.status == Job.Status.CLOSED and "Breaks the rules on payments" in job.close_note
    assert Notification.objects.filter(user=room.hiring, kind="job_closed_by_staff").exists()
    for reporter in (room.freelancer, other):
        told = Notification.objects.get(user=reporter, kind="report_reviewed")
        assert "Logo for a bakery" in told.title and "took it down" in told.body
    second.refresh_from_db()
    assert (second.status, second.resolved_by, second.resolution_note) == (
        Report.Status.HIDDEN,
        moderator,
        "Breaks the rules on payments",
    )
    actions = set(AuditEntry.objects.filter(target=ref(Kind.JOB, job.pk)).values_list("action", flat=True))
    assert actions == {"job_closed", "report_hidden"}


def test_hiding_a_profile_takes_it_out_of_public_pages_and_talent_search(
    client, room, moderator, django_capture_on_commit_callbacks
):
    profile = room.freelancer.freelancer_profile
    talent_index_refresh(profile=profile)
    in_search = talent_search(params=TalentSearchParams(timezone="UTC"))
    assert profile.pk in {hit.profile.pk for hit in in_search.results}
    with django_capture_on_commit_callbacks(execute=True):
        resolve(moderator, report(room.owner, Kind.PROFILE, profile.pk), Report.Status.HIDDEN)
    profile.refresh_from_db()
    assert profile.hidden_at is not None and profile.hidden_reason == "Breaks the rules on payments"
    assert not public_profiles().filter(pk=profile.pk).exists()
    assert not talent_search(params=TalentSearchParams(timezone="UTC")).results
    assert client.get(reverse("accounts:freelancer_public", args=[profile.pk])).status_code == 404
    assert "profile was hidden" in mail.outbox[-1].subject
    client.force_login(room.freelancer)
    page = client.get(reverse("accounts:profile_edit")).content.decode()
    assert "Our staff hid your profile" in page and "Breaks the rules on payments" in page
    # Staff restore it from the profile's admin.
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    form = {"action": "restore_profiles", "_selected_action": [profile.pk], "apply": "1", "reason": "Appeal upheld"}
    client.post(reverse("admin:accounts_freelancerprofile_changelist"), form)
    profile.refresh_from_db()
    assert profile.hidden_at is None and public_profiles().filter(pk=profile.pk).exists()


def test_a_suspended_freelancer_is_not_listed_in_talent_search(room, moderator):
    profile = room.freelancer.freelancer_profile
    talent_index_refresh(profile=profile)
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="scam")
    resolve(moderator, report(room.owner, Kind.MESSAGE, message.pk), Report.Status.SUSPENDED)
    room.freelancer.refresh_from_db()
    assert not room.freelancer.is_active
    assert not talent_search(params=TalentSearchParams(timezone="UTC")).results
    assert AuditEntry.objects.filter(action="account_suspended", target=ref(Kind.USER, room.freelancer.pk)).exists()


def test_hiding_a_message_removes_it_and_an_already_removed_one_just_closes_the_reports(room, moderator):
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="rude")
    first = report(room.owner, Kind.MESSAGE, message.pk)
    resolve(moderator, first, Report.Status.HIDDEN)
    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED
    assert Notification.objects.filter(user=room.freelancer, kind="message_removed").exists()
    # Removed straight from the message's admin while another report was open: closing it hides nothing twice.
    other = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="rude again")
    pending = report(room.owner, Kind.MESSAGE, other.pk)
    services.message_remove(message_id=other.pk, staff=moderator, reason="Abuse")
    assert [row.pk for row in resolve(moderator, pending, Report.Status.HIDDEN)] == [pending.pk]


def test_warning_tells_the_author_and_dismissing_leaves_them_alone(room, job, moderator):
    warned = resolve(moderator, report(room.freelancer, Kind.JOB, job.pk), Report.Status.WARNED)[0]
    warning = Notification.objects.get(user=room.hiring, kind="moderation_warning")
    assert "Breaks the rules on payments" in warning.body and "Logo for a bakery" in warning.body
    assert AuditEntry.objects.filter(action="user_warned", target=ref(Kind.USER, room.hiring.pk)).exists()
    assert warned.status == Report.Status.WARNED
    dismissed = resolve(moderator, report(room.freelancer, Kind.JOB, job.pk), Report.Status.DISMISSED, "Fine")[0]
    assert dismissed.status == Report.Status.DISMISSED
    job.refresh_from_db()
    assert job.status == Job.Status.OPEN and room.hiring.is_active
    told = Notification.objects.filter(user=room.freelancer, kind="report_reviewed").order_by("pk").last()
    assert "does not break our rules" in told.body
    assert AuditEntry.objects.filter(action="report_dismissed", reason="Fine").exists()


def test_only_moderators_close_reports_and_never_about_themselves(room, job, moderator):
    found = report(room.freelancer, Kind.JOB, job.pk)
    for who in (UserFactory(is_staff=True), room.owner):
        with pytest.raises(PermissionDenied):
            resolve(who, found, Report.Status.HIDDEN)
    with pytest.raises(InvalidInput):
        resolve(moderator, found, Report.Status.HIDDEN, reason="  ")
    with pytest.raises(InvalidInput):
        resolve(moderator, found, Report.Status.OPEN)
    # A moderator who posted the job does not judge the report about it.
    MembershipFactory(organization=room.organization, user=moderator, role=Role.HIRING_MANAGER)
    own_job = JobFactory(organization=room.organization, created_by=moderator)
    with pytest.raises(DomainError) as own:
        resolve(moderator, report(room.freelancer, Kind.JOB, own_job.pk), Report.Status.DISMISSED)
    assert own.value.code == "own_content"
    resolve(moderator, found, Report.Status.DISMISSED)
    with pytest.raises(DomainError) as again:
        resolve(moderator, found, Report.Status.HIDDEN)
    assert again.value.code == "report_closed"
    with pytest.raises(NotFound):
        services.report_resolve(staff=moderator, report_id=10**9, outcome="hidden", reason="x")


def test_the_queue_in_the_admin(client, room, job, moderator):
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="spam spam")
    on_message = report(room.owner, Kind.MESSAGE, message.pk, category="spam", reason="Selling followers")
    on_job = report(room.freelancer, Kind.JOB, job.pk)
    changelist = reverse("admin:messaging_report_changelist")
    client.force_login(moderator)
    page = client.get(changelist).content.decode()
    assert "Selling followers" not in page and "Logo for a bakery" in page and "hide_content" in page
    assert "Logo for a bakery" in client.get(changelist, {"kind": "job"}).content.decode()
    assert "Logo for a bakery" not in client.get(changelist, {"kind": "message"}).content.decode()
    detail = client.get(reverse("admin:messaging_report_change", args=[on_message.pk])).content.decode()
    assert "Selling followers" in detail and reverse("admin:messaging_message_change", args=[message.pk]) in detail
    asks = client.post(changelist, {"action": "warn_author", "_selected_action": [on_job.pk]})
    assert "Warn the author" in asks.content.decode()
    form = {"action": "warn_author", "_selected_action": [on_job.pk, on_message.pk], "apply": "1", "reason": "Rules"}
    client.post(changelist, form)
    assert set(Report.objects.values_list("status", flat=True)) == {Report.Status.WARNED}
    # Staff without the permission read the queue but have no actions, and posting one does nothing.
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_report"))
    fresh = report(room.freelancer, Kind.PROFILE, FreelancerProfileFactory().pk)
    client.force_login(reader)
    assert "hide_content" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "hide_content", "_selected_action": [fresh.pk], "apply": "1", "reason": "x"})
    fresh.refresh_from_db()
    assert fresh.is_open


def test_the_report_page_and_the_forms_beside_jobs_and_profiles(client, room, job):
    page_url = reverse("messaging:report")
    target = ref(Kind.JOB, job.pk)
    assert client.get(page_url, {"target": target}).status_code == 302  # log in first
    client.force_login(room.freelancer)
    detail = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Report this job" in detail and f'value="{target}"' in detail
    assert "Logo for a bakery" in client.get(page_url, {"target": target}).content.decode()
    for bad in ("", "job", "job:abc", f"job:{2**64}", "contract:1", "user:1", ref(Kind.JOB, 10**9)):
        assert client.get(page_url, {"target": bad}).status_code == 404, bad
    refused = client.post(page_url, {"target": target, "category": "scam", "reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    sent = client.post(
        page_url, {"target": target, "category": "scam", "reason": "Wants Western Union", "next": "https://evil.test/"}
    )
    assert sent.status_code == 302 and sent["Location"] == reverse("home")
    again = client.post(page_url, {"target": target, "category": "scam", "reason": "Again", "next": f"/jobs/{job.pk}/"})
    assert again.status_code == 200 and "already reported" in again.content.decode()
    assert Report.objects.get().reason == "Wants Western Union"
    profile = FreelancerProfileFactory()
    public = client.get(reverse("accounts:freelancer_public", args=[profile.pk])).content.decode()
    assert "Report this profile" in public
    own = client.get(reverse("accounts:freelancer_public", args=[room.freelancer.freelancer_profile.pk]))
    assert "Report this profile" not in own.content.decode()
    client.force_login(room.owner)
    assert "Report this job" not in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()


def test_reports_through_the_api(room, job, moderator):
    api = APIClient()
    api.force_authenticate(room.freelancer)
    body = {"kind": "job", "target_id": job.pk, "category": "scam", "reason": "Wire transfer only"}
    created = api.post("/api/v1/reports/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "kind": "job",
        "target_id": job.pk,
        "subject": "the job “Logo for a bakery”",
        "category": "scam",
        "reason": "Wire transfer only",
        "status": "open",
        "created_at": "",
        "resolved_at": None,
    }
    assert api.post("/api/v1/reports/", body, format="json").json()["code"] == "already_reported"
    for bad in (
        {**body, "kind": "contract"},
        {**body, "target_id": 2**64},
        {**body, "target_id": "x"},
        {**body, "category": "bad"},
        {**body, "reason": ""},
        {},
    ):
        assert api.post("/api/v1/reports/", bad, format="json").status_code == 400, bad
    assert api.post("/api/v1/reports/", {**body, "target_id": 10**9}, format="json").status_code == 404
    resolve(moderator, Report.objects.get(), Report.Status.SUSPENDED)
    mine = api.get("/api/v1/reports/").json()["results"]
    assert [row["status"] for row in mine] == ["reviewed"]
    other = APIClient()
    other.force_authenticate(room.owner)
    assert other.get("/api/v1/reports/").json()["results"] == []
    assert other.get(f"/api/v1/reports/{mine[0]['id']}/").status_code == 404


def test_every_moderation_action_needs_the_one_moderation_permission(client, room, job, moderator):
    from accounts.services.moderation import account_suspend, profile_hide
    from jobs.services.jobs import job_close_by_staff

    plain_staff = UserFactory(is_staff=True)
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="hi")
    profile = room.freelancer.freelancer_profile
    for action in (
        lambda staff: account_suspend(staff=staff, user_id=room.freelancer.pk, reason="x"),
        lambda staff: profile_hide(staff=staff, profile_id=profile.pk, reason="x"),
        lambda staff: job_close_by_staff(staff=staff, job_id=job.pk, reason="x"),
        lambda staff: services.message_remove(message_id=message.pk, staff=staff, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            action(plain_staff)
        action(moderator)
    # The admin shows those actions to moderators only.
    plain_staff.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    for changelist, action in [
        ("admin:accounts_user_changelist", "suspend_accounts"),
        ("admin:accounts_freelancerprofile_changelist", "hide_profiles"),
        ("admin:jobs_job_changelist", "close_for_rule_violation"),
        ("admin:messaging_message_changelist", "remove_messages"),
    ]:
        client.force_login(plain_staff)
        assert action not in client.get(reverse(changelist)).content.decode()
        client.force_login(moderator)
        moderator.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
        assert action in client.get(reverse(changelist)).content.decode()
