from django import template

from contracts.models import Timesheet
from contracts.services.weeks import hours_label

register = template.Library()


@register.filter
def hours(minutes) -> str:
    """Minutes as h:mm (610 → "10:10")."""
    return hours_label(int(minutes or 0))


@register.filter
def timesheet_status(value: str) -> str:
    """A timesheet status as people read it ("in_review" → "In review")."""
    return Timesheet.Status(value).label if value in Timesheet.Status.values else value
