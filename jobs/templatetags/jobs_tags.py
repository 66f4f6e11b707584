from django import template

register = template.Library()


@register.filter
def cents(value) -> str:
    """Integer cents as a plain amount with two decimals and thousands separators: 123456 → 1,234.56."""
    if value is None or value == "":
        return ""
    value = int(value)
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 100)
    return f"{sign}{whole:,}.{fraction:02d}"


@register.simple_tag
def job_budget(job) -> str:
    if job.is_hourly:
        return f"${cents(job.rate_min_cents)}–${cents(job.rate_max_cents)} an hour"
    return f"${cents(job.fixed_amount_cents)} fixed price"


@register.simple_tag
def proposal_price(proposal) -> str:
    if proposal.rate_cents is not None:
        return f"${cents(proposal.rate_cents)} an hour"
    return f"${cents(proposal.bid_cents)} bid"
