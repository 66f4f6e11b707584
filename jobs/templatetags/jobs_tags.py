from django import template

from kernel.money import format_money

register = template.Library()


@register.simple_tag
def job_budget(job) -> str:
    if job.is_hourly:
        return (
            f"{format_money(job.rate_min_cents, job.currency)}–{format_money(job.rate_max_cents, job.currency)} an hour"
        )
    return f"{format_money(job.fixed_amount_cents, job.currency)} fixed price"


@register.simple_tag
def proposal_price(proposal) -> str:
    if proposal.rate_cents is not None:
        return f"{format_money(proposal.rate_cents, proposal.currency)} an hour"
    return f"{format_money(proposal.bid_cents, proposal.currency)} bid"
