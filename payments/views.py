"""Money pages: a freelancer's wallet and payout methods, an organization's money and cards, the staff
dashboard, and the Stripe webhook endpoint. Each view parses input and calls one service or selector."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.permissions import OrgPerm, has_org_perm
from kernel.errors import DomainError
from kernel.idempotency import scoped_key
from kernel.pages import form_action, show_refusal
from payments import selectors
from payments.exports import organization_transactions_csv, user_transactions_csv
from payments.forms import SandboxBankForm, StripeAccountForm, StripeCardForm, TestCardForm, WithdrawForm
from payments.gateway.base import get_gateway
from payments.models import PayoutStatus
from payments.services import payment_methods, payouts, webhooks

PAGE_SIZE = 25
ACTIONS = ("default", "remove")


def _organization(request, organization_id: int, perm: OrgPerm = OrgPerm.VIEW):
    try:
        return selectors.organization_for(request.user, organization_id, perm)
    except DomainError as exc:
        show_refusal(request, exc)
        raise


def _csv(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- freelancers ---


@login_required
def wallet(request):
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payout = payouts.payout_request(
                user=request.user,
                amount_cents=form.cleaned_data["amount"],
                idempotency_key=scoped_key(
                    user=request.user, action="payout", key=form.cleaned_data["idempotency_key"]
                ),
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            if payout.status == PayoutStatus.FAILED:
                messages.error(request, f"The payout failed: {payout.failure_reason} The money is back in available.")
            else:
                messages.success(
                    request, f"Withdrawal of ${payout.amount_cents / 100:,.2f} to {payout.destination_label} requested."
                )
            return redirect("payments:wallet")
    page = Paginator(selectors.transactions_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "wallet": selectors.wallet_for(request.user),
        "page": page,
        "payouts": selectors.payouts_of(request.user)[:10],
        "payout_methods": selectors.payout_methods_of(request.user),
        "form": form,
    }
    return render(request, "payments/wallet.html", context)


@login_required
def wallet_csv(request):
    return _csv(user_transactions_csv(request.user), "transactions.csv")


@login_required
def payout_methods(request):
    sandbox = get_gateway().name == "sandbox"
    form_class = SandboxBankForm if sandbox else StripeAccountForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if sandbox:
                payouts.payout_method_add_sandbox_bank(user=request.user, **form.cleaned_data)
            else:
                payouts.payout_method_add_stripe_account(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Payout method added.")
            return redirect("payments:payout_methods")
    context = {"methods": selectors.payout_methods_of(request.user), "form": form, "sandbox": sandbox}
    return render(request, "payments/payout_methods.html", context)


@login_required
@require_POST
def payout_method_action(request, method_id: int, action: str):
    if action not in ACTIONS:
        raise Http404
    if action == "default":
        call, success = payouts.payout_method_set_default, "Default payout method changed."
    else:
        call, success = payouts.payout_method_remove, "Payout method removed."
    return form_action(
        request,
        None,
        lambda: call(user=request.user, payout_method_id=method_id),
        success=success,
        redirect_to="payments:payout_methods",
    )


# --- client organizations ---


@login_required
def organizations(request):
    orgs = list(selectors.organizations_with_money_view(request.user))
    if len(orgs) == 1:
        return redirect("payments:organization", organization_id=orgs[0].pk)
    return render(request, "payments/organizations.html", {"organizations": orgs})


@login_required
def organization_money(request, organization_id: int):
    organization = _organization(request, organization_id)
    entries = Paginator(selectors.organization_transactions(organization), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "organization": organization,
        "escrows": selectors.organization_escrows(organization),
        "page": entries,
        "may_manage_cards": has_org_perm(request.user, organization.pk, OrgPerm.MANAGE_PAYMENT_METHODS),
        "payment_verified": selectors.organization_payment_verified(organization.pk),
    }
    return render(request, "payments/organization.html", context)


@login_required
def organization_csv(request, organization_id: int):
    organization = _organization(request, organization_id)
    return _csv(organization_transactions_csv(organization), f"organization-{organization.pk}-transactions.csv")


@login_required
def receipt(request, organization_id: int, entry_id: int):
    organization = _organization(request, organization_id)
    try:
        entry, operation = selectors.receipt_for(organization, entry_id)
    except DomainError as exc:
        raise Http404 from exc
    return render(
        request, "payments/receipt.html", {"organization": organization, "entry": entry, "operation": operation}
    )


@login_required
def payment_methods_page(request, organization_id: int):
    organization = _organization(request, organization_id, OrgPerm.MANAGE_PAYMENT_METHODS)
    sandbox = get_gateway().name == "sandbox"
    form = (TestCardForm if sandbox else StripeCardForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if sandbox:
                token = payment_methods.sandbox_card_token(**form.cleaned_data)
            else:
                token = form.cleaned_data["payment_method"]
            method = payment_methods.payment_method_add(actor=request.user, organization=organization, token=token)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"{method} saved.")
            return redirect("payments:payment_methods", organization_id=organization.pk)
    context = {
        "organization": organization,
        "methods": selectors.payment_methods_of(organization),
        "form": form,
        "sandbox": sandbox,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    if not sandbox and settings.STRIPE_PUBLISHABLE_KEY:
        try:
            context["setup_secret"] = payment_methods.setup_intent_secret(actor=request.user, organization=organization)
        except DomainError as exc:
            messages.error(request, exc.detail)
    return render(request, "payments/payment_methods.html", context)


@login_required
@require_POST
def payment_method_action(request, organization_id: int, method_id: int, action: str):
    if action not in ACTIONS:
        raise Http404
    organization = _organization(request, organization_id, OrgPerm.MANAGE_PAYMENT_METHODS)
    if action == "default":
        call, success = payment_methods.payment_method_set_default, "Default card changed."
    else:
        call, success = payment_methods.payment_method_remove, "Card removed."
    return form_action(
        request,
        None,
        lambda: call(actor=request.user, organization=organization, payment_method_id=method_id),
        success=success,
        redirect_to=reverse("payments:payment_methods", args=[organization.pk]),
    )


# --- staff ---


@staff_member_required
def staff_dashboard(request):
    return render(request, "payments/staff_dashboard.html", {"numbers": selectors.staff_numbers()})


# --- gateway ---


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe calls this; the signature, not a session or CSRF token, proves it is Stripe."""
    try:
        webhooks.webhook_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except DomainError as exc:
        return HttpResponse(exc.detail, status=exc.status, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
