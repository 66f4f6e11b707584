"""Reputation on pages other apps render: a freelancer's job success and work history on the profile, a client's
record on its job pages. (Those pages load this library; their apps sit below contracts and cannot import it.)"""

from django import template
from django.conf import settings

from contracts import reputation
from contracts.services import score

register = template.Library()


@register.inclusion_tag("contracts/feedback/_work_history.html")
def work_history(profile):
    return {
        "items": reputation.work_history(freelancer_id=profile.user_id),
        "score": score.job_success_for(freelancer_id=profile.user_id),
        "min_contracts": settings.JOB_SUCCESS_MIN_CONTRACTS,
        "recent_days": settings.JOB_SUCCESS_RECENT_DAYS,
        "long_running_days": settings.JOB_SUCCESS_LONG_RUNNING_DAYS,
    }


@register.inclusion_tag("contracts/feedback/_client_record.html")
def client_record(organization):
    return {"organization": organization, "record": reputation.client_record(organization_id=organization.pk)}
