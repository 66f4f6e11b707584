"""`{% load transitions %}`: pages ask the model's owner which moves a user may make, never re-derive them."""

from django import template

from kernel.transitions import allowed_transitions

register = template.Library()


@register.filter
def moves(obj, user) -> set[str]:
    """`{% if "withdrawn" in proposal|moves:user %}`: the statuses `user` may move `obj` to now."""
    return allowed_transitions(obj, user)
