from django import template

from accounts.permissions import OrgPerm, organization_ids_with

register = template.Library()


@register.simple_tag
def payments_nav(user):
    """Which payments links the header shows: wallet for freelancers, payments for client finance roles."""

    if not user.is_authenticated:
        return {}
    return {
        "wallet": user.is_freelancer,
        "payments": bool(organization_ids_with(user, OrgPerm.MANAGE_PAYMENT_METHODS)),
    }
