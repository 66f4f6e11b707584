from django import template

register = template.Library()


@register.filter
def others_in(conversation, user) -> str:
    """The display names of the conversation's other participants, comma separated (uses prefetched rows)."""
    return ", ".join(p.user.display_name for p in conversation.participants.all() if p.user_id != user.pk)
