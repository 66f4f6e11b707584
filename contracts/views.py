"""Offer and contract pages: parse input, call one service or selector, render. Domain errors become messages."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.permissions import OrgPerm, has_org_perm
from contracts import forms, hourly_forms, selectors
from contracts.models import Contract, Milestone, Offer, Timesheet, WeeklyUpdate
from contracts.services import bonuses as bonus_services
from contracts.services import contracts as contract_services
from contracts.services import invoices as invoice_services
from contracts.services import milestones as milestone_services
from contracts.services import offers as offer_services
from contracts.services import time_entries as time_entry_services
from contracts.services import timesheets as timesheet_services
from contracts.services import updates as update_services
from contracts.services.weeks import hours_label
from jobs import selectors as job_selectors
from kernel.errors import DomainError, NotFound
from kernel.idempotency import scoped_key
from kernel.money import format_money
from kernel.pages import add_refusal, attempt, form_action, show_refusal
from kernel.refs import Kind, ref
from kernel.transitions import allowed_transitions
from payments import selectors as payment_selectors
from payments.services import saga

# --- Offers ---


@login_required
def offers_mine(request):
    context = {
        "received": selectors.offers_received(request.user)[:100],
        "sent": selectors.offers_sent(request.user)[:100],
    }
    return render(request, "contracts/offers.html", context)


def _offer_source(request):
    """The proposal or the freelancer profile an offer is being made from (`?proposal=` / `?freelancer=`)."""
    proposal_id, profile_id = request.GET.get("proposal", ""), request.GET.get("freelancer", "")
    if proposal_id.isdigit():
        proposal = job_selectors.proposal_get(user=request.user, proposal_id=int(proposal_id))
        if proposal is None:
            raise Http404
        return proposal, proposal.freelancer
    if profile_id.isdigit():
        try:
            return None, account_selectors.public_profile(int(profile_id))
        except NotFound as exc:
            raise Http404 from exc
    raise Http404


def _offer_initial(proposal, profile) -> tuple[dict, list[dict]]:
    initial = {"start_date": timezone.localdate(), "contract_type": "hourly", "weekly_limit_hours": 40}
    if profile.hourly_rate_cents:
        initial["hourly_rate"] = profile.hourly_rate_cents
    if proposal is None:
        return initial, []
    job = proposal.job
    initial.update(title=job.title, contract_type=job.budget_type)
    if proposal.rate_cents:
        initial["hourly_rate"] = proposal.rate_cents
    if proposal.bid_cents:
        initial["total"] = proposal.bid_cents
    rows = [{"title": m.title, "amount": m.amount_cents} for m in proposal.milestones.all()]
    return initial, rows


@login_required
def offer_new(request):
    proposal, profile = _offer_source(request)
    try:
        offer_services.offer_check_sender(actor=request.user, proposal=proposal)
    except DomainError as exc:
        show_refusal(request, exc)
    only_id = proposal.job.organization_id if proposal is not None else None
    organizations = selectors.organizations_hiring_as(request.user, only_id=only_id)
    initial, rows = _offer_initial(proposal, profile)
    data = request.POST if request.method == "POST" else None
    formset = forms.milestone_formset(data, initial=rows or None, extra=1 if rows else 2)
    form = forms.OfferForm(data, initial=initial, milestone_formset=formset)
    org_form = forms.OrganizationChoiceForm(
        data, organizations=organizations, initial={"organization": organizations.first()}
    )
    if request.method == "POST" and org_form.is_valid() and form.is_valid():
        try:
            offer = offer_services.offer_create(
                actor=request.user,
                organization_id=org_form.cleaned_data["organization"].pk,
                terms=form.terms(),
                title=form.cleaned_data["title"],
                message=form.cleaned_data["message"],
                proposal_id=proposal.pk if proposal else None,
                freelancer_profile_id=None if proposal else profile.pk,
            )
        except DomainError as exc:
            add_refusal(form, exc, field_names=forms.OfferForm.FIELD_FOR)
        else:
            messages.success(request, f"Offer sent to {offer.freelancer.display_name}.")
            return redirect("contracts:offer_detail", offer_id=offer.pk)
    context = {
        "form": form,
        "formset": formset,
        "org_form": org_form,
        "show_org": organizations.count() > 1,
        "proposal": proposal,
        "profile": profile,
        "expiry_days": settings.OFFER_EXPIRY_DAYS,
    }
    return render(request, "contracts/offer_form.html", context)


@login_required
def offer_detail(request, offer_id: int):
    try:
        offer = selectors.offer_get(user=request.user, offer_id=offer_id)
    except NotFound as exc:
        raise Http404 from exc
    context = {
        "offer": offer,
        "is_open": offer.status == Offer.Status.PENDING and offer.expires_at > timezone.now(),
        "decline_form": forms.DeclineOfferForm(),
        "contract": getattr(offer, "contract", None) if offer.status == Offer.Status.ACCEPTED else None,
    }
    return render(request, "contracts/offer_detail.html", context)


@require_POST
@login_required
def offer_accept(request, offer_id: int):
    return form_action(
        request,
        None,
        lambda: offer_services.offer_accept(actor=request.user, offer_id=offer_id),
        success="You accepted the offer: the contract has started.",
        redirect_to=reverse("contracts:offer_detail", args=[offer_id]),
        success_to=lambda contract: reverse("contracts:contract_detail", args=[contract.pk]),
    )


@require_POST
@login_required
def offer_decline(request, offer_id: int):
    form = forms.DeclineOfferForm(request.POST)
    # The reason is optional: one the form refuses (too long) is dropped rather than keeping the offer open.
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _offer_action(
        request, offer_id, lambda: offer_services.offer_decline(actor=request.user, offer_id=offer_id, reason=reason)
    )


@require_POST
@login_required
def offer_withdraw(request, offer_id: int):
    return _offer_action(
        request, offer_id, lambda: offer_services.offer_withdraw(actor=request.user, offer_id=offer_id)
    )


def _offer_action(request, offer_id: int, call):
    return form_action(
        request,
        None,
        call,
        success=lambda offer: f"The offer is {offer.get_status_display().lower()}.",
        redirect_to=reverse("contracts:offer_detail", args=[offer_id]),
    )


# --- Contracts ---


@login_required
def contract_list(request):
    as_freelancer = selectors.contracts_as_freelancer(request.user).prefetch_related("milestones")[:100]
    as_client = selectors.contracts_as_client(request.user).prefetch_related("milestones")[:100]
    context = {
        "as_freelancer": [(c, selectors.awaiting_funding(c)) for c in as_freelancer],
        "as_client": [(c, selectors.awaiting_funding(c)) for c in as_client],
    }
    return render(request, "contracts/contract_list.html", context)


@login_required
def contract_detail(request, contract_id: int):
    try:
        contract = selectors.contract_get(user=request.user, contract_id=contract_id)
    except NotFound as exc:
        raise Http404 from exc
    user = request.user
    org = contract.organization_id
    is_freelancer = contract.freelancer_id == user.pk
    milestones = list(contract.milestones.all())
    in_flight = saga.in_flight(references=[ref(Kind.MILESTONE, m.pk) for m in milestones])
    for milestone in milestones:
        # What this user may do to it now, and a payment for it still at the gateway ("charge" / "refund").
        milestone.actions = allowed_transitions(milestone, user)
        milestone.in_flight = in_flight.get(ref(Kind.MILESTONE, milestone.pk), "")
    context = {
        "contract": contract,
        "milestones": milestones,
        # Milestones added to a running contract make its work worth more than the offer's price.
        "milestones_total": sum(m.amount_cents for m in contract.milestones.all()),
        "is_freelancer": is_freelancer,
        "can_fund": not is_freelancer and has_org_perm(user, org, OrgPerm.FUND),
        "can_hire": has_org_perm(user, org, OrgPerm.HIRE),
        "can_end": contract.status != Contract.Status.ENDED
        and (is_freelancer or has_org_perm(user, org, OrgPerm.HIRE)),
        "awaiting_funding": selectors.awaiting_funding(contract),
        "escrow_cents": saga.escrow_balance(escrow_reference=contract.escrow_reference, currency=contract.currency),
        "default_card": payment_selectors.default_payment_method(org) if contract.is_fixed else None,
        "fund_form": forms.FundForm(),
        "submit_form": forms.SubmitForm(auto_id="submit_%s"),
        "add_form": forms.MilestoneAddForm(auto_id="add_%s"),
        "end_form": forms.EndContractForm(auto_id="end_%s"),
        "S": Milestone.Status,
        "can_pay_bonus": has_org_perm(user, org, OrgPerm.FUND) and not is_freelancer,
        "bonuses": contract.bonuses.all()[:50],
        "bonus_form": hourly_forms.BonusForm(auto_id="bonus_%s"),
    }
    if contract.is_hourly:
        context.update(_hourly_context(request, contract))
    return render(request, "contracts/contract_detail.html", context)


@require_POST
@login_required
def contract_end(request, contract_id: int):
    form = forms.EndContractForm(request.POST)
    return form_action(
        request,
        form,
        lambda: contract_services.contract_end(actor=request.user, contract_id=contract_id, **form.cleaned_data),
        success="The contract has ended.",
        redirect_to=_contract_url(contract_id),
        invalid="Choose an outcome and give a reason to end the contract.",
    )


@require_POST
@login_required
def milestone_add(request, contract_id: int):
    form = forms.MilestoneAddForm(request.POST)
    return form_action(
        request,
        form,
        lambda: milestone_services.milestone_add(actor=request.user, contract_id=contract_id, milestone=form.terms()),
        success="Milestone added. Fund it when the work on it should start.",
        redirect_to=_contract_url(contract_id),
    )


def _contract_url(contract_id: int, anchor: str = "") -> str:
    return reverse("contracts:contract_detail", args=[contract_id]) + (f"#{anchor}" if anchor else "")


# --- Milestone actions: each a small form on the contract page ---


def _contract_url_of(request, milestone_id: int) -> str:
    """The milestone's contract page; 404 unless the user is a party to the contract."""
    contract_id = (
        selectors.milestones_visible_to(request.user)
        .filter(pk=milestone_id)
        .values_list("contract_id", flat=True)
        .first()
    )
    if contract_id is None:
        raise Http404
    return reverse("contracts:contract_detail", args=[contract_id])


def _milestone_action(request, milestone_id: int, call, success: str, form=None):
    """On success the page opens at the milestone, whose new state shows there; a refusal (or a form not filled
    in) opens at the top, where the message saying why is (scrolled to the milestone, the user would see nothing
    happen)."""
    url = _contract_url_of(request, milestone_id)
    return form_action(
        request, form, call, success=success, redirect_to=url, success_to=url + f"#milestone-{milestone_id}"
    )


def _milestone_form_action(request, milestone_id: int, form_class, service, success: str):
    """A milestone action whose form's cleaned fields are the service's keyword arguments."""
    form = form_class(request.POST, request.FILES)
    return _milestone_action(
        request,
        milestone_id,
        lambda: service(actor=request.user, milestone_id=milestone_id, **form.cleaned_data),
        success,
        form,
    )


@require_POST
@login_required
def milestone_fund(request, milestone_id: int):
    form = forms.FundForm(request.POST)
    key = form.cleaned_data["idempotency_key"] if form.is_valid() else ""
    return _milestone_action(
        request,
        milestone_id,
        lambda: milestone_services.milestone_fund(
            actor=request.user,
            milestone_id=milestone_id,
            request_key=scoped_key(user=request.user, action="milestone_fund", key=key),
        ),
        "The milestone is funded: the money waits in escrow until you approve the work.",
    )


@require_POST
@login_required
def milestone_submit(request, milestone_id: int):
    return _milestone_form_action(
        request,
        milestone_id,
        forms.SubmitForm,
        milestone_services.milestone_submit,
        "Work submitted. The client reviews it next.",
    )


@require_POST
@login_required
def milestone_approve(request, milestone_id: int):
    return _milestone_form_action(
        request,
        milestone_id,
        forms.ApproveForm,
        milestone_services.milestone_approve,
        "Approved: the payment is released to the freelancer.",
    )


@require_POST
@login_required
def milestone_request_changes(request, milestone_id: int):
    return _milestone_form_action(
        request,
        milestone_id,
        forms.RequestChangesForm,
        milestone_services.milestone_request_changes,
        "Changes requested: the freelancer will submit again.",
    )


@require_POST
@login_required
def milestone_request_refund(request, milestone_id: int):
    return _milestone_form_action(
        request,
        milestone_id,
        forms.ReasonForm,
        milestone_services.milestone_request_refund,
        "Refund requested: the freelancer can agree or reject it.",
    )


@require_POST
@login_required
def milestone_agree_refund(request, milestone_id: int):
    return _milestone_action(
        request,
        milestone_id,
        lambda: milestone_services.milestone_agree_refund(actor=request.user, milestone_id=milestone_id),
        "Refund agreed: the money goes back to the client.",
    )


@require_POST
@login_required
def milestone_reject_refund(request, milestone_id: int):
    return _milestone_form_action(
        request,
        milestone_id,
        forms.ReasonForm,
        milestone_services.milestone_reject_refund,
        "Refund rejected: the milestone is now disputed and its money stays in escrow.",
    )


# --- Hourly contracts: the work diary, the week, timesheets, documents, pause/resume, bonuses ---


def _hourly_context(request, contract) -> dict:
    """What the contract page shows of an hourly contract: this week live, past weeks, the timer, the forms."""
    user = request.user
    is_freelancer = contract.freelancer_id == user.pk
    week = timesheet_services.current_week_start()
    current = timesheet_services.week_view(contract=contract, week_start=week, viewer=user)
    limit_minutes = current.weekly_limit_hours * 60
    running = time_entry_services.running_timer(user=user) if is_freelancer else None
    next_terms = contract.terms_changes.filter(week_start__gt=week).first()
    update = WeeklyUpdate.objects.filter(contract=contract, week_start=week).first()
    moves = allowed_transitions(contract, user)
    return {
        "week": current,
        "week_end": week + dt.timedelta(days=6),
        "limit_left_minutes": max(limit_minutes - current.total_minutes, 0),
        "near_limit": is_freelancer and 0 < limit_minutes - current.total_minutes <= 120,
        "past_limit": current.total_minutes > limit_minutes,
        "running": running,
        "running_here": running is not None and running.contract_id == contract.pk,
        "entries": current.timesheet.entries.all() if current.timesheet else [],
        "timesheets": contract.timesheets.exclude(week_start=week)[:60],
        "next_terms": next_terms,
        "weekly_update": update,
        "can_log": is_freelancer and contract.status == Contract.Status.ACTIVE,
        "can_pause": Contract.Status.PAUSED in moves,
        "can_resume": Contract.Status.ACTIVE in moves,
        "can_manage_cards": has_org_perm(user, contract.organization_id, OrgPerm.MANAGE_PAYMENT_METHODS),
        "timer_form": hourly_forms.TimerForm(auto_id="timer_%s"),
        "entry_form": hourly_forms.EntryForm(zone_name=user.timezone_name, auto_id="entry_%s"),
        "update_form": hourly_forms.WeeklyUpdateForm(
            initial={"done": update.done, "next": update.next, "blockers": update.blockers} if update else None,
            auto_id="update_%s",
        ),
        "pause_form": hourly_forms.PauseForm(auto_id="pause_%s"),
        "terms_form": hourly_forms.TermsForm(auto_id="terms_%s"),
    }


def _limit_message(logged) -> str:
    if logged and logged.unbilled_minutes:
        return f" {hours_label(logged.unbilled_minutes)} h of it are past the weekly limit: recorded, but not billed."
    return ""


def _work_diary(contract_id: int) -> str:
    return _contract_url(contract_id, "work-diary")


@require_POST
@login_required
def timer_start(request, contract_id: int):
    form = hourly_forms.TimerForm(request.POST)
    memo = form.cleaned_data["memo"] if form.is_valid() else ""
    return form_action(
        request,
        None,
        lambda: time_entry_services.timer_start(actor=request.user, contract_id=contract_id, memo=memo),
        success="The timer is running.",
        redirect_to=_work_diary(contract_id),
    )


@require_POST
@login_required
def timer_stop(request, contract_id: int):
    return form_action(
        request,
        None,
        lambda: time_entry_services.timer_stop(actor=request.user, contract_id=contract_id),
        success=lambda logged: (
            "The timer is stopped." + _limit_message(logged) if logged else "The timer was not running."
        ),
        redirect_to=_work_diary(contract_id),
    )


@login_required
def timer_state(request, contract_id: int):
    """The timer as it stands, for the page's script (a second tab, a tab brought back to the front)."""
    try:
        selectors.contract_get(user=request.user, contract_id=contract_id)
    except NotFound as exc:
        raise Http404 from exc
    running = time_entry_services.running_timer(user=request.user)
    return JsonResponse(
        {
            "running": running is not None and running.contract_id == contract_id,
            "elsewhere": running is not None and running.contract_id != contract_id,
            "started_at": running.started_at.isoformat() if running else None,
            "memo": running.memo if running else "",
        }
    )


@require_POST
@login_required
def entry_add(request, contract_id: int):
    form = hourly_forms.EntryForm(request.POST, zone_name=request.user.timezone_name)
    return form_action(
        request,
        form,
        lambda: time_entry_services.entry_add(
            actor=request.user, contract_id=contract_id, **_entry_times(form), memo=form.cleaned_data["memo"]
        ),
        success=lambda logged: f"Added {hours_label(logged.entry.minutes)} h." + _limit_message(logged),
        redirect_to=_work_diary(contract_id),
        invalid_to=_contract_url(contract_id, "add-time"),
    )


def _entry_times(form) -> dict:
    start, end = form.instants()
    return {"started_at": start, "ended_at": end}


def _entry_of(request, entry_id: int):
    try:
        return time_entry_services.entry_get(user=request.user, entry_id=entry_id)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def entry_edit(request, entry_id: int):
    entry = _entry_of(request, entry_id)
    zone_name = request.user.timezone_name
    if request.method == "POST":
        form = hourly_forms.EntryForm(request.POST, zone_name=zone_name, auto_id="edit_%s")
        if form.is_valid():
            done = attempt(
                request,
                lambda: time_entry_services.entry_update(
                    actor=request.user, entry_id=entry_id, **_entry_times(form), memo=form.cleaned_data["memo"]
                ),
                lambda logged: "The entry is saved." + _limit_message(logged),
            )
            if done:
                return redirect(_work_diary(entry.contract_id))
    elif entry.ended_at is None:
        messages.error(request, "Stop the timer before changing its times.")
        return redirect(_work_diary(entry.contract_id))
    else:
        form = hourly_forms.EntryForm.for_entry(entry, zone_name=zone_name)
    return render(request, "contracts/entry_edit.html", {"entry": entry, "form": form})


@require_POST
@login_required
def entry_delete(request, entry_id: int):
    entry = _entry_of(request, entry_id)
    return form_action(
        request,
        None,
        lambda: time_entry_services.entry_delete(actor=request.user, entry_id=entry_id),
        success="The entry is deleted.",
        redirect_to=_work_diary(entry.contract_id),
    )


@require_POST
@login_required
def weekly_update(request, contract_id: int):
    form = hourly_forms.WeeklyUpdateForm(request.POST)
    return form_action(
        request,
        form,
        lambda: update_services.weekly_update_post(actor=request.user, contract_id=contract_id, **form.cleaned_data),
        success="Your weekly update is posted.",
        redirect_to=_contract_url(contract_id, "weekly-update"),
    )


@login_required
def timesheet_detail(request, timesheet_id: int):
    try:
        timesheet = timesheet_services.timesheet_get(user=request.user, timesheet_id=timesheet_id)
    except NotFound as exc:
        raise Http404 from exc
    contract = timesheet.contract
    user = request.user
    view = timesheet_services.week_view(
        contract=contract, week_start=timesheet.week_start, viewer=user, timesheet=timesheet
    )
    documents = invoice_services.documents_visible_to(user).filter(timesheet=timesheet)
    context = {
        "timesheet": timesheet,
        "contract": contract,
        "week": view,
        "entries": timesheet.entries.all(),
        "update": WeeklyUpdate.objects.filter(contract=contract, week_start=timesheet.week_start).first(),
        "documents": documents,
        "can_dispute": timesheet.status == Timesheet.Status.IN_REVIEW
        and timesheet.review_ends_at
        and timezone.now() < timesheet.review_ends_at
        and has_org_perm(user, contract.organization_id, OrgPerm.APPROVE_PAYMENTS),
        "dispute_form": hourly_forms.DisputeForm(auto_id="dispute_%s"),
    }
    return render(request, "contracts/timesheet_detail.html", context)


@require_POST
@login_required
def timesheet_dispute(request, timesheet_id: int):
    form = hourly_forms.DisputeForm(request.POST)
    url = reverse("contracts:timesheet_detail", args=[timesheet_id])

    def visible_url() -> str:
        # The service says 404 to whoever may not see the week; a form not filled in must not say less.
        try:
            timesheet_services.timesheet_get(user=request.user, timesheet_id=timesheet_id)
        except NotFound as exc:
            raise Http404 from exc
        return url

    return form_action(
        request,
        form,
        lambda: timesheet_services.timesheet_dispute(
            actor=request.user,
            timesheet_id=timesheet_id,
            minutes=form.total_minutes(),
            reason=form.cleaned_data["reason"],
        ),
        success="The hours are disputed: their share stays in escrow when the rest is released.",
        redirect_to=url,
        invalid_to=visible_url,
    )


def _document(request, document_id: int):
    try:
        return invoice_services.document_get(user=request.user, document_id=document_id)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def document_detail(request, document_id: int):
    document = _document(request, document_id)
    return render(request, "contracts/document_detail.html", {"document": document, "lines": document_lines(document)})


def document_lines(document):
    return [
        {
            "date": dt.date.fromisoformat(line["date"]),
            "hours": hours_label(line["minutes"]),
            "billable": hours_label(line["billable_minutes"]),
        }
        for line in document.lines
    ]


@login_required
def document_csv(request, document_id: int):
    document = _document(request, document_id)
    response = HttpResponse(invoice_services.document_csv(document), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{document.display_number}.csv"'
    return response


@login_required
def document_pdf(request, document_id: int):
    document = _document(request, document_id)
    response = HttpResponse(invoice_services.document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.display_number}.pdf"'
    return response


@require_POST
@login_required
def contract_pause(request, contract_id: int):
    form = hourly_forms.PauseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return form_action(
        request,
        None,
        lambda: contract_services.contract_pause(actor=request.user, contract_id=contract_id, reason=reason),
        success="The contract is paused: no time can be logged until you resume it.",
        redirect_to=_contract_url(contract_id),
    )


@require_POST
@login_required
def contract_resume(request, contract_id: int):
    return form_action(
        request,
        None,
        lambda: contract_services.contract_resume(actor=request.user, contract_id=contract_id),
        success="The contract is active again.",
        redirect_to=_contract_url(contract_id),
    )


@require_POST
@login_required
def contract_terms(request, contract_id: int):
    form = hourly_forms.TermsForm(request.POST)
    return form_action(
        request,
        form,
        lambda: contract_services.contract_terms_change(
            actor=request.user,
            contract_id=contract_id,
            hourly_rate_cents=form.cleaned_data["hourly_rate"],
            weekly_limit_hours=form.cleaned_data["weekly_limit_hours"],
        ),
        success="The new terms apply from next Monday.",
        redirect_to=_contract_url(contract_id),
    )


@require_POST
@login_required
def bonus_pay(request, contract_id: int):
    form = hourly_forms.BonusForm(request.POST)
    return form_action(
        request,
        form,
        lambda: bonus_services.bonus_pay(
            actor=request.user,
            contract_id=contract_id,
            amount_cents=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
            idempotency_key=scoped_key(user=request.user, action="bonus_pay", key=form.cleaned_data["idempotency_key"]),
        ),
        success=lambda bonus: f"Bonus of {format_money(bonus.amount_cents, bonus.currency)} paid.",
        redirect_to=_contract_url(contract_id, "bonus"),
    )
