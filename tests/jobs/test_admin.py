"""Staff moderation of jobs in the admin, and every jobs and messaging model readable there with search."""

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.services.jobs import job_close_by_staff
from kernel.errors import DomainError
from messaging.models import Notification
from tests.factories import JobFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "jobs_job",
    "jobs_invitation",
    "jobs_proposal",
    "jobs_savedsearch",
    "jobs_talentindex",
    "messaging_conversation",
    "messaging_message",
    "messaging_notification",
    "messaging_notificationpreference",
]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_each_model_has_a_searchable_changelist(staff_client, model):
    response = staff_client.get(reverse(f"admin:{model}_changelist"), {"q": "anything"})
    assert response.status_code == 200


def test_staff_close_a_job_with_a_reason_the_client_is_told(staff_client, client, organization, owner):
    job = JobFactory(organization=organization)
    changelist = reverse("admin:jobs_job_changelist")
    form = {"action": "close_for_rule_violation", "_selected_action": [job.pk]}

    asked = staff_client.post(changelist, form)
    assert asked.status_code == 200 and "The client sees this reason" in asked.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.OPEN

    staff_client.post(changelist, {**form, "apply": "1", "reason": "Asks for payment outside the platform."})
    job.refresh_from_db()
    assert job.status == Job.Status.CLOSED and job.close_reason == Job.CloseReason.CANCELLED
    assert "Asks for payment outside the platform." in job.close_note
    notice = Notification.objects.get(user=owner, kind="job_closed_by_staff")
    assert notice.reference == f"job:{job.pk}"
    client.force_login(owner)
    assert "Asks for payment outside the platform." in client.get(notice.url).content.decode()


def test_only_staff_may_close_a_job_by_moderation(organization, owner):
    job = JobFactory(organization=organization)
    with pytest.raises(DomainError) as refused:
        job_close_by_staff(staff=owner, job_id=job.pk, reason="No.")
    assert refused.value.status == 403
    job.refresh_from_db()
    assert job.status == Job.Status.OPEN


def test_no_admin_page_changes_a_job_directly(staff_client, organization):
    job = JobFactory(organization=organization)
    assert staff_client.get(reverse("admin:jobs_job_add")).status_code == 403
    assert staff_client.post(reverse("admin:jobs_job_delete", args=[job.pk]), {"post": "yes"}).status_code == 403
