"""Dispute pages for both parties: open one on a milestone, then the dispute's timeline, evidence, settlement offers
and outcome. Each POST calls one service; a refused rule shows its detail on the page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from contracts import selectors, selectors_disputes
from contracts.forms_reputation import DisputeOpenForm, EvidenceForm, SettlementForm
from contracts.models import Dispute, Party, SettlementOffer
from contracts.services import disputes as dispute_services
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.idempotency import scoped_key
from kernel.pages import form_action


def _or_404(call):
    try:
        return call()
    except NotFound as exc:
        raise Http404 from exc


@login_required
def dispute_list(request):
    disputes = selectors_disputes.disputes_visible_to(request.user)[:100]
    return render(request, "contracts/disputes/list.html", {"disputes": disputes})


@login_required
def dispute_open(request, milestone_id: int):
    milestone = selectors.milestones_visible_to(request.user).filter(pk=milestone_id).first()
    if milestone is None:
        raise Http404
    form = DisputeOpenForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dispute = dispute_services.dispute_open_milestone(
                    actor=request.user,
                    milestone_id=milestone.pk,
                    reason=form.cleaned_data["reason"],
                    evidence=form.cleaned_data["evidence"],
                    files=form.cleaned_data["files"],
                    request_key=scoped_key(user=request.user, action="dispute_open", key=form.cleaned_data["key"]),
                )
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                _show(request, form, exc)
                status = exc.status
            else:
                messages.success(request, "Dispute opened: the money involved is held until it is resolved.")
                return redirect("contracts:dispute_detail", dispute_id=dispute.pk)
        else:
            status = 400
    context = {
        "milestone": milestone,
        "contract": milestone.contract,
        "form": form,
        "response_days": settings.DISPUTE_RESPONSE_DAYS,
    }
    return render(request, "contracts/disputes/open.html", context, status=status)


def _show(request, form, exc: DomainError) -> None:
    """A refused rule as a page message; bad input beside its field when the service named one."""
    if isinstance(exc, InvalidInput) and exc.errors:
        for field, errors in exc.errors.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        messages.error(request, exc.detail)


@login_required
def dispute_detail(request, dispute_id: int, *, evidence_form=None, settlement_form=None, status=200):
    dispute = _or_404(lambda: selectors_disputes.dispute_get(user=request.user, dispute_id=dispute_id))
    contract = dispute.contract
    try:
        side = dispute_services.side_of(user=request.user, contract=contract)
    except DomainError:
        side = None  # a member who may only read
    offers = list(dispute.offers.all())
    context = {
        "dispute": dispute,
        "contract": contract,
        "side": side,
        "Party": Party,
        "events": dispute.events.all(),
        "evidence": dispute.evidence.all(),
        "offers": offers,
        "answerable": [o for o in offers if o.status == SettlementOffer.Status.PENDING and side and o.side != side],
        "can_act": side is not None and dispute.is_open,
        "evidence_form": evidence_form or EvidenceForm(),
        "settlement_form": settlement_form or SettlementForm(),
        "S": Dispute.Status,
    }
    return render(request, "contracts/disputes/detail.html", context, status=status)


def _act(request, dispute_id: int, call, success: str, *, form, form_key: str):
    """Run one service call for a form of the dispute page: back to the page with a message, or the page again
    with the form and its errors (what was typed is kept)."""
    try:
        call()
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        _show(request, form, exc)
        return dispute_detail(request, dispute_id, status=exc.status, **{form_key: form})
    messages.success(request, success)
    return redirect("contracts:dispute_detail", dispute_id=dispute_id)


@require_POST
@login_required
def dispute_evidence(request, dispute_id: int):
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        return dispute_detail(request, dispute_id, evidence_form=form, status=400)
    return _act(
        request,
        dispute_id,
        lambda: dispute_services.dispute_add_evidence(
            actor=request.user, dispute_id=dispute_id, text=form.cleaned_data["text"], files=form.cleaned_data["files"]
        ),
        "Your statement is added to the dispute.",
        form=form,
        form_key="evidence_form",
    )


@require_POST
@login_required
def settlement_propose(request, dispute_id: int):
    form = SettlementForm(request.POST)
    if not form.is_valid():
        return dispute_detail(request, dispute_id, settlement_form=form, status=400)
    return _act(
        request,
        dispute_id,
        lambda: dispute_services.settlement_propose(
            actor=request.user,
            dispute_id=dispute_id,
            freelancer_cents=form.cleaned_data["freelancer_amount"],
            note=form.cleaned_data["note"],
        ),
        "Settlement proposed: the other party can accept it.",
        form=form,
        form_key="settlement_form",
    )


@require_POST
@login_required
def settlement_accept(request, dispute_id: int, offer_id: int):
    return form_action(
        request,
        None,
        lambda: dispute_services.settlement_accept(actor=request.user, dispute_id=dispute_id, offer_id=offer_id),
        success="Settlement accepted: the dispute is resolved.",
        redirect_to=reverse("contracts:dispute_detail", args=[dispute_id]),
    )


@require_POST
@login_required
def settlement_decline(request, dispute_id: int, offer_id: int):
    return form_action(
        request,
        None,
        lambda: dispute_services.settlement_decline(actor=request.user, dispute_id=dispute_id, offer_id=offer_id),
        success="Proposal declined.",
        redirect_to=reverse("contracts:dispute_detail", args=[dispute_id]),
    )
