"""`{% load windows %}`: `{{ minutes|duration }}` shows an overlap or a window the one way ("3 h 15 min")."""

from django import template

from kernel.windows import format_duration

register = template.Library()


@register.filter
def duration(minutes) -> str:
    return format_duration(minutes)
