import nh3
from django import template
from django.utils.html import urlize
from django.utils.safestring import mark_safe

from kernel.refs import ref
from messaging.forms import ReportForm

register = template.Library()


@register.filter
def others_in(conversation, user) -> str:
    """The display names of the other people who have opened the conversation (uses prefetched rows)."""
    return ", ".join(p.user.display_name for p in conversation.participants.all() if p.user_id != user.pk)


@register.filter
def message_html(body: str) -> str:
    """A message as typed: escaped, line breaks kept, web addresses made into links that open safely; nh3
    strips anything else, so no markup a sender typed ever reaches the page."""
    linked = urlize(body, trim_url_limit=60, nofollow=True, autoescape=True).replace("\n", "<br>")
    return mark_safe(  # noqa: S308 (nh3 just sanitized it)
        nh3.clean(
            linked,
            tags={"a", "br"},
            attributes={"a": {"href"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noopener noreferrer ugc",
        )
    )


@register.inclusion_tag("messaging/partials/report_form.html", takes_context=True)
def report_form(context, kind: str, pk: int, what: str, next_url: str):
    """The small "Report" form beside a job, a profile or a message; it posts to the report page, which comes back
    to `next_url`."""
    target = ref(kind, pk)
    form = ReportForm(initial={"target": target, "next": next_url}, auto_id=f"report-{kind}-{pk}-%s")
    return {"form": form, "what": what, "csrf_token": context.get("csrf_token")}
