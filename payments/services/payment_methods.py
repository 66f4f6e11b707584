"""Cards an organization keeps on file. Only people whose role has MANAGE_PAYMENT_METHODS change them."""

import contextlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import OrgPerm, has_org_perm
from kernel.errors import DomainError, InvalidInput, NotFound
from payments.gateway.base import Gateway, GatewayError, GatewayUnavailable, get_gateway
from payments.gateway.sandbox import SandboxGateway
from payments.models import GatewayCustomer, PaymentMethod


def _check_may_manage(actor: User, organization: Organization) -> None:
    if not has_org_perm(actor, organization.pk, OrgPerm.MANAGE_PAYMENT_METHODS):
        raise NotFound()


def customer_for(*, organization: Organization, gateway: Gateway) -> str:
    """The organization's customer id at `gateway`, created on first use."""
    existing = GatewayCustomer.objects.filter(organization=organization, gateway=gateway.name).first()
    if existing:
        return existing.customer_id
    customer_id = gateway.create_customer(organization_id=organization.pk, name=organization.name)
    try:
        with transaction.atomic():
            return GatewayCustomer.objects.create(
                organization=organization, gateway=gateway.name, customer_id=customer_id
            ).customer_id
    except IntegrityError:
        return GatewayCustomer.objects.get(organization=organization, gateway=gateway.name).customer_id


def _gateway_call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except GatewayError as exc:
        raise DomainError(exc.code, exc.detail, status=400) from exc
    except GatewayUnavailable as exc:
        raise DomainError(
            "gateway_unavailable", "The payment processor did not answer. Try again.", status=503
        ) from exc


def check_not_expired(*, exp_month: int, exp_year: int) -> None:
    """A card whose expiry month has passed is refused (it could never be charged): the page's and the API's one
    rule."""
    today = timezone.now().date()
    if (exp_year, exp_month) < (today.year, today.month):
        raise InvalidInput("card_expired", "That card has expired.", errors={"exp_month": ["That card has expired."]})


def sandbox_card_token(*, number: str, exp_month: int, exp_year: int, cvc: str) -> str:
    """The sandbox's stand-in for Stripe.js: the card number goes to the gateway and only a token comes back."""
    gateway = get_gateway()
    if not isinstance(gateway, SandboxGateway):
        raise DomainError("not_supported", "Cards are entered through Stripe's form.", status=400)
    check_not_expired(exp_month=exp_month, exp_year=exp_year)
    return _gateway_call(gateway.tokenize_card, number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)


def payment_method_add(*, actor: User, organization: Organization, token: str) -> PaymentMethod:
    """Save the card behind `token` on the organization; the first card becomes the default."""
    _check_may_manage(actor, organization)
    gateway = get_gateway()
    customer_id = _gateway_call(customer_for, organization=organization, gateway=gateway)
    card = _gateway_call(gateway.attach_card, customer_id=customer_id, token=token)
    check_not_expired(exp_month=card.exp_month, exp_year=card.exp_year)
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        has_default = PaymentMethod.objects.filter(organization=organization, is_default=True).exists()
        try:
            with transaction.atomic():
                method = PaymentMethod.objects.create(
                    organization=organization,
                    gateway=gateway.name,
                    token=card.token,
                    brand=card.brand,
                    last4=card.last4,
                    exp_month=card.exp_month,
                    exp_year=card.exp_year,
                    is_default=not has_default,
                    created_by=actor,
                )
        except IntegrityError as exc:
            raise DomainError("payment_method_exists", "That card is already saved.") from exc
        _sync_payment_verified(organization)
    return method


def _method_for_update(*, actor: User, organization: Organization, payment_method_id: int) -> PaymentMethod:
    _check_may_manage(actor, organization)
    method = PaymentMethod.objects.select_for_update().filter(pk=payment_method_id, organization=organization).first()
    if method is None:
        raise NotFound()
    return method


@transaction.atomic
def payment_method_set_default(*, actor: User, organization: Organization, payment_method_id: int) -> PaymentMethod:
    Organization.objects.select_for_update().get(pk=organization.pk)
    method = _method_for_update(actor=actor, organization=organization, payment_method_id=payment_method_id)
    PaymentMethod.objects.filter(organization=organization, is_default=True).exclude(pk=method.pk).update(
        is_default=False
    )
    method.is_default = True
    method.save(update_fields=["is_default"])
    return method


def payment_method_remove(*, actor: User, organization: Organization, payment_method_id: int) -> None:
    """Forget a card. If it was the default, the newest remaining card becomes the default."""
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        method = _method_for_update(actor=actor, organization=organization, payment_method_id=payment_method_id)
        token, was_default = method.token, method.is_default
        method.delete()
        if was_default:
            successor = PaymentMethod.objects.filter(organization=organization).order_by("-created_at", "-id").first()
            if successor:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
        _sync_payment_verified(organization)
    # Detaching at the gateway is cleanup: the card is already unusable for us once the row is gone.
    transaction.on_commit(lambda: _detach_quietly(token))


def _sync_payment_verified(organization: Organization) -> None:
    """Call holding the organization's row lock, after its payment methods changed."""
    verified = PaymentMethod.objects.filter(organization=organization, is_default=True).exists()
    Organization.objects.filter(pk=organization.pk).update(payment_verified=verified)
    organization.payment_verified = verified


def _detach_quietly(token: str) -> None:
    with contextlib.suppress(GatewayError, GatewayUnavailable):
        get_gateway().detach_card(token=token)


def setup_intent_secret(*, actor: User, organization: Organization) -> str:
    """Stripe.js needs a SetupIntent's client secret to collect a card for later off-session charges."""
    _check_may_manage(actor, organization)
    gateway = get_gateway()
    customer_id = _gateway_call(customer_for, organization=organization, gateway=gateway)
    return _gateway_call(gateway.setup_intent_secret, customer_id=customer_id)
