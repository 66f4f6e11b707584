"""Every staff action leaves an audit row (who, when, what, why), and the trail is readable in the admin but
editable by nobody, superusers included."""

import pytest
from django.urls import reverse

from jobs.services.jobs import job_close_by_staff
from kernel.models import AuditEntry
from kernel.refs import Kind, ref
from tests.factories import JobFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


def test_closing_a_job_for_breaking_the_rules_is_audited(client, superuser):
    job = JobFactory()
    client.force_login(superuser)
    form = {"action": "close_for_rule_violation", "_selected_action": [job.pk], "apply": "1", "reason": "Scam"}
    client.post(reverse("admin:jobs_job_changelist"), form)
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.actor_label, entry.action, entry.target, entry.reason) == (
        superuser.pk,
        superuser.email,
        "job_closed",
        ref(Kind.JOB, job.pk),
        "Scam",
    )


def test_the_audit_trail_is_visible_in_the_admin_and_not_editable(client, superuser):
    job = JobFactory()
    job_close_by_staff(staff=superuser, job_id=job.pk, reason="Off-platform payment")
    entry = AuditEntry.objects.get()
    client.force_login(superuser)
    listing = client.get(reverse("admin:kernel_auditentry_changelist"))
    assert listing.status_code == 200 and ref(Kind.JOB, job.pk) in listing.content.decode()
    page = client.get(reverse("admin:kernel_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and "Off-platform payment" in page.content.decode()
    assert b'name="_save"' not in page.content
    assert client.get(reverse("admin:kernel_auditentry_add")).status_code == 403
    change = client.post(reverse("admin:kernel_auditentry_change", args=[entry.pk]), {"reason": "rewritten"})
    assert change.status_code == 403
    delete = client.post(reverse("admin:kernel_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    assert delete.status_code == 403
    bulk = client.post(
        reverse("admin:kernel_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.reason == "Off-platform payment"
    # Not from code either: a written row is never saved again.
    entry.reason = "rewritten"
    with pytest.raises(ValueError):
        entry.save()
