from django import template

from accounts import selectors

register = template.Library()


@register.simple_tag
def profile_completeness(profile):
    """For pages whose view belongs to another app (the dashboard): how complete a profile is."""
    return selectors.profile_completeness(profile)
