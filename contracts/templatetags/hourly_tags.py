from django import template

from contracts.services.weeks import hours_label

register = template.Library()


@register.filter
def hours(minutes) -> str:
    """Minutes as h:mm (610 → "10:10")."""
    return hours_label(int(minutes or 0))
