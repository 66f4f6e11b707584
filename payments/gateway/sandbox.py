"""A card processor that lives in our own database: no network, instant answers.

It keeps what a real processor would keep (SandboxRecord: cards, charges, refunds, transfers, each once per
idempotency key), so the services' idempotency and the reconcile job behave exactly as with Stripe.
Documented test numbers: any Luhn-valid card number works, except 4000 0000 0000 0341, which saves and then
declines every charge (as on Stripe). A payout to a bank account ending in 0002 is reported failed.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Sum

from payments.gateway.base import (
    DECLINE_CARD_NUMBER,
    SANDBOX_FAILING_BANK_LAST4,
    CardDeclined,
    CardDetails,
    Gateway,
    GatewayError,
    RemoteResult,
)
from payments.models import SandboxRecord

_BRANDS = (
    ("4", "Visa"),
    ("51", "Mastercard"),
    ("52", "Mastercard"),
    ("53", "Mastercard"),
    ("54", "Mastercard"),
    ("55", "Mastercard"),
    ("34", "American Express"),
    ("37", "American Express"),
    ("6011", "Discover"),
)


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        digit = int(ch)
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    return next((brand for prefix, brand in _BRANDS if number.startswith(prefix)), "Card")


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class SandboxGateway(Gateway):
    name = "sandbox"

    def tokenize_card(self, *, number: str, exp_month: int, exp_year: int, cvc: str) -> str:
        """What Stripe.js does in the browser: turn a card number into a token. The number itself is kept only
        as "does it decline", its brand and last four digits."""
        number = "".join(number.split())
        if not luhn_valid(number):
            raise GatewayError("invalid_card_number", "That card number is not valid.")
        if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
            raise GatewayError("invalid_cvc", "The security code is three or four digits.")
        token = _new_id("sb_pm")
        SandboxRecord.objects.create(
            kind="card",
            object_id=token,
            data={
                "brand": card_brand(number),
                "last4": number[-4:],
                "exp_month": exp_month,
                "exp_year": exp_year,
                "declines": number == DECLINE_CARD_NUMBER,
            },
        )
        return token

    def create_customer(self, *, organization_id: int, name: str) -> str:
        customer = SandboxRecord.objects.create(kind="customer", object_id=_new_id("sb_cus"), data={"name": name})
        return customer.object_id

    def _card(self, token: str) -> SandboxRecord:
        card = SandboxRecord.objects.filter(kind="card", object_id=token).first()
        if card is None:
            raise GatewayError("invalid_payment_method", "That card is not known to the gateway.")
        return card

    def attach_card(self, *, customer_id: str, token: str) -> CardDetails:
        card = self._card(token)
        card.data["customer"] = customer_id
        card.save(update_fields=["data"])
        d = card.data
        return CardDetails(token, d["brand"], d["last4"], d["exp_month"], d["exp_year"])

    def detach_card(self, *, token: str) -> None:
        SandboxRecord.objects.filter(kind="card", object_id=token).delete()

    def _once(self, kind: str, idempotency_key: str, make) -> SandboxRecord:
        """The processor's own idempotency: the same key returns the first result, whatever it was (the unique
        index tells a repeat, so a new request costs one insert)."""
        try:
            with transaction.atomic():
                return make()
        except IntegrityError:
            return SandboxRecord.objects.get(kind=kind, idempotency_key=idempotency_key)

    def charge(self, *, customer_id, token, amount_cents, currency, idempotency_key, metadata) -> str:
        card = SandboxRecord.objects.filter(kind="card", object_id=token).first()

        def make():
            declined = card is None or card.data.get("declines")
            return SandboxRecord.objects.create(
                kind="charge",
                object_id=_new_id("sb_ch"),
                idempotency_key=idempotency_key,
                amount_cents=amount_cents,
                status="failed" if declined else "succeeded",
                data={"customer": customer_id, "currency": currency, "metadata": metadata},
            )

        record = self._once("charge", idempotency_key, make)
        if record.status == "failed":
            raise CardDeclined("The card was declined (sandbox test card 4000 0000 0000 0341).")
        return record.object_id

    def refund(self, *, charge_id, amount_cents, idempotency_key, metadata) -> str:
        def make():
            charge = SandboxRecord.objects.select_for_update().filter(kind="charge", object_id=charge_id).first()
            if charge is None or charge.status != "succeeded":
                raise GatewayError("charge_not_refundable", "That charge cannot be refunded.")
            refunded = (
                SandboxRecord.objects.filter(kind="refund", data__charge=charge_id).aggregate(s=Sum("amount_cents"))[
                    "s"
                ]
                or 0
            )
            if refunded + amount_cents > charge.amount_cents:
                raise GatewayError("refund_exceeds_charge", "The refund is larger than what is left of the charge.")
            return SandboxRecord.objects.create(
                kind="refund",
                object_id=_new_id("sb_re"),
                idempotency_key=idempotency_key,
                amount_cents=amount_cents,
                data={"charge": charge_id, "metadata": metadata},
            )

        return self._once("refund", idempotency_key, make).object_id

    def transfer(self, *, destination, amount_cents, currency, idempotency_key, metadata) -> str:
        def make():
            fails = destination.endswith(f":{SANDBOX_FAILING_BANK_LAST4}")
            return SandboxRecord.objects.create(
                kind="transfer",
                object_id=_new_id("sb_tr"),
                idempotency_key=idempotency_key,
                amount_cents=amount_cents,
                status="failed" if fails else "succeeded",
                data={"destination": destination, "currency": currency, "metadata": metadata},
            )

        record = self._once("transfer", idempotency_key, make)
        if record.status == "failed":
            raise GatewayError("payout_failed", "The bank refused the payout (sandbox account ending 0002).")
        return record.object_id

    def find(self, *, kind, idempotency_key, gateway_id="", parent_id="") -> RemoteResult:
        record = SandboxRecord.objects.filter(kind=kind, idempotency_key=idempotency_key).first()
        if record is None:
            return RemoteResult("missing")
        return RemoteResult(record.status, record.object_id)

    def payouts_enabled(self, *, account_id: str) -> bool:
        return True
