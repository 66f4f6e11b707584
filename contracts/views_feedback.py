"""The feedback page of a contract: what each side may read now, and the form for the side still to speak."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from contracts import reputation, selectors
from contracts.forms_reputation import FeedbackForm
from contracts.models import Contract, Feedback
from contracts.services import feedback as feedback_services
from kernel.errors import DomainError, NotFound


@login_required
def feedback(request, contract_id: int):
    try:
        contract = selectors.contract_get(user=request.user, contract_id=contract_id)
    except NotFound as exc:
        raise Http404 from exc
    side = feedback_services.side_of(user=request.user, contract=contract)
    form = FeedbackForm(request.POST or None, about_freelancer=side == Feedback.Side.CLIENT)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                feedback_services.feedback_leave(
                    actor=request.user,
                    contract_id=contract.pk,
                    ratings=form.ratings(),
                    public_comment=form.cleaned_data["public_comment"],
                    private_feedback=form.cleaned_data["private_feedback"],
                    show_earnings=form.cleaned_data.get("show_earnings", False),
                )
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                messages.error(request, exc.detail)
                status = exc.status
            else:
                messages.success(request, "Thank you: your feedback is saved.")
                return redirect("contracts:feedback", contract_id=contract.pk)
        else:
            status = 400
    window_ends = feedback_services.feedback_window_ends(contract)
    left = reputation.feedback_sides_left(contract)
    may_leave = (
        side is not None
        and side not in left
        and contract.status == Contract.Status.ENDED
        and timezone.now() <= window_ends
    )
    context = {
        "contract": contract,
        "readable": reputation.contract_feedback(contract=contract, user=request.user),
        "left": left,
        "side": side,
        "form": form if may_leave else None,
        "window_ends": window_ends,
        "Side": Feedback.Side,
    }
    return render(request, "contracts/feedback/feedback.html", context, status=status)
