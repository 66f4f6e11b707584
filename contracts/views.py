"""Offer and contract pages: parse input, call one service or selector, render. Domain errors become messages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.permissions import OrgPerm, has_org_perm
from contracts import forms, selectors
from contracts.models import Contract, Milestone, Offer
from contracts.services import contracts as contract_services
from contracts.services import milestones as milestone_services
from contracts.services import offers as offer_services
from jobs import selectors as job_selectors
from kernel.errors import DomainError, NotFound
from kernel.idempotency import scoped_key
from kernel.refs import Kind, ref
from kernel.transitions import allowed_transitions
from payments import selectors as payment_selectors
from payments.services import saga


def _not_found(exc: NotFound):
    raise Http404 from exc


def _attempt(request, call, success) -> bool:
    """Run one service call: not found is a 404, a refused rule shows its detail, else `success` is shown (a text,
    or a function of what the call returned). True when the call succeeded."""
    try:
        result = call()
    except NotFound as exc:
        _not_found(exc)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def _errors_text(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


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
        if proposal is None or not has_org_perm(request.user, proposal.job.organization_id, OrgPerm.VIEW):
            raise Http404
        return proposal, proposal.freelancer
    if profile_id.isdigit():
        try:
            return None, account_selectors.public_profile(int(profile_id))
        except NotFound as exc:
            _not_found(exc)
    raise Http404


def _offer_initial(proposal, profile) -> tuple[dict, list[dict]]:
    initial = {"start_date": timezone.localdate(), "contract_type": "hourly", "weekly_limit_hours": 40}
    if profile.hourly_rate_cents:
        initial["hourly_rate"] = forms.to_dollars(profile.hourly_rate_cents)
    if proposal is None:
        return initial, []
    job = proposal.job
    initial.update(title=job.title, contract_type=job.budget_type)
    if proposal.rate_cents:
        initial["hourly_rate"] = forms.to_dollars(proposal.rate_cents)
    if proposal.bid_cents:
        initial["total"] = forms.to_dollars(proposal.bid_cents)
    rows = [{"title": m.title, "amount": forms.to_dollars(m.amount_cents)} for m in proposal.milestones.all()]
    return initial, rows


@login_required
def offer_new(request):
    proposal, profile = _offer_source(request)
    only_id = proposal.job.organization_id if proposal is not None else None
    organizations = selectors.organizations_hiring_as(request.user, only_id=only_id)
    if not organizations.exists():
        messages.error(request, "Your role does not allow sending offers. Ask an owner, admin or hiring manager.")
        return redirect("dashboard")
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
            form.add_error(None, ValidationError(exc.detail, code=exc.code))
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
        _not_found(exc)
    is_freelancer = offer.freelancer_id == request.user.pk
    context = {
        "offer": offer,
        "is_freelancer": is_freelancer,
        "can_withdraw": has_org_perm(request.user, offer.organization_id, OrgPerm.HIRE),
        "is_open": offer.status == Offer.Status.PENDING and offer.expires_at > timezone.now(),
        "decline_form": forms.DeclineOfferForm(),
        "contract": getattr(offer, "contract", None) if offer.status == Offer.Status.ACCEPTED else None,
    }
    return render(request, "contracts/offer_detail.html", context)


@require_POST
@login_required
def offer_accept(request, offer_id: int):
    try:
        contract = offer_services.offer_accept(actor=request.user, offer_id=offer_id)
    except NotFound as exc:
        _not_found(exc)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("contracts:offer_detail", offer_id=offer_id)
    messages.success(request, "You accepted the offer: the contract has started.")
    return redirect("contracts:contract_detail", contract_id=contract.pk)


@require_POST
@login_required
def offer_decline(request, offer_id: int):
    form = forms.DeclineOfferForm(request.POST)
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
    _attempt(request, call, lambda offer: f"The offer is {offer.get_status_display().lower()}.")
    return redirect("contracts:offer_detail", offer_id=offer_id)


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
        _not_found(exc)
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
    }
    return render(request, "contracts/contract_detail.html", context)


@require_POST
@login_required
def contract_end(request, contract_id: int):
    form = forms.EndContractForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an outcome and give a reason to end the contract.")
        return redirect("contracts:contract_detail", contract_id=contract_id)
    return _contract_action(
        request,
        contract_id,
        lambda: contract_services.contract_end(
            actor=request.user,
            contract_id=contract_id,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
        ),
        "The contract has ended.",
    )


@require_POST
@login_required
def milestone_add(request, contract_id: int):
    form = forms.MilestoneAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors_text(form))
        return redirect("contracts:contract_detail", contract_id=contract_id)
    return _contract_action(
        request,
        contract_id,
        lambda: milestone_services.milestone_add(actor=request.user, contract_id=contract_id, milestone=form.terms()),
        "Milestone added. Fund it when the work on it should start.",
    )


def _contract_action(request, contract_id: int, call, success: str):
    _attempt(request, call, success)
    return redirect("contracts:contract_detail", contract_id=contract_id)


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


def _milestone_action(request, milestone_id: int, call, success: str):
    """On success the page opens at the milestone, whose new state shows there; a refusal opens at the top, where
    the message saying why is (scrolled to the milestone, the user would see nothing happen)."""
    url = _contract_url_of(request, milestone_id)
    done = _attempt(request, call, success)
    return redirect(url + f"#milestone-{milestone_id}" if done else url)


def _milestone_form_action(request, milestone_id: int, form_class, service, success: str):
    """A milestone action whose form's cleaned fields are the service's keyword arguments."""
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        url = _contract_url_of(request, milestone_id)
        messages.error(request, _errors_text(form))
        return redirect(url)
    return _milestone_action(
        request,
        milestone_id,
        lambda: service(actor=request.user, milestone_id=milestone_id, **form.cleaned_data),
        success,
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


@login_required
def submission_file(request, file_id: int):
    try:
        attachment = selectors.submission_file_get(user=request.user, file_id=file_id)
    except NotFound as exc:
        _not_found(exc)
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
