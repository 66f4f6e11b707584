"""The payment gateway interface: what the services need from a card processor, and nothing more.

Two implementations: SandboxGateway (the default: no network, instant answers, a documented card that declines)
and StripeGateway (the Stripe SDK). settings.PAYMENT_GATEWAY picks one; services call `get_gateway()`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

# The same card number Stripe documents: it can be saved, then every charge on it is declined.
DECLINE_CARD_NUMBER = "4000000000000341"
# A sandbox bank account ending in these digits accepts payouts and then reports them failed, like Stripe's
# failing test bank account, so the failure path can be tried by hand.
SANDBOX_FAILING_BANK_LAST4 = "0002"


class GatewayError(Exception):
    """The gateway refused the request: it certainly did not happen, so nothing must be posted."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


class CardDeclined(GatewayError):
    def __init__(self, detail: str = "The card was declined."):
        super().__init__("card_declined", detail)


class GatewayPending(Exception):
    """The gateway accepted the request but has not finished it (a Stripe refund in status `pending`): the
    operation stays pending with its id, and the webhook or reconcile settles it."""

    def __init__(self, gateway_id: str):
        super().__init__(gateway_id)
        self.gateway_id = gateway_id


class GatewayUnavailable(Exception):
    """We do not know whether the call took effect (timeout, connection lost): the operation stays pending and
    the reconcile job asks the gateway later."""


@dataclass(frozen=True)
class CardDetails:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class RemoteResult:
    """What the gateway knows about one of our operations: succeeded / failed / pending / missing (never
    received)."""

    status: str
    gateway_id: str = ""
    detail: str = ""


class Gateway(abc.ABC):
    name: str

    @abc.abstractmethod
    def create_customer(self, *, organization_id: int, name: str) -> str: ...

    @abc.abstractmethod
    def attach_card(self, *, customer_id: str, token: str) -> CardDetails:
        """Save the card behind `token` (from the card form or Stripe.js) on the customer."""

    @abc.abstractmethod
    def detach_card(self, *, token: str) -> None: ...

    @abc.abstractmethod
    def charge(
        self, *, customer_id: str, token: str, amount_cents: int, currency: str, idempotency_key: str, metadata: dict
    ) -> str:
        """Charge a saved card off-session; returns the gateway's id. Raises CardDeclined / GatewayError when
        refused, GatewayUnavailable when the outcome is unknown."""

    @abc.abstractmethod
    def refund(self, *, charge_id: str, amount_cents: int, idempotency_key: str, metadata: dict) -> str: ...

    @abc.abstractmethod
    def transfer(
        self, *, destination: str, amount_cents: int, currency: str, idempotency_key: str, metadata: dict
    ) -> str:
        """Send money to a freelancer's payout destination (Stripe: a Connect transfer)."""

    @abc.abstractmethod
    def find(self, *, kind: str, idempotency_key: str, gateway_id: str = "", parent_id: str = "") -> RemoteResult:
        """Look up an operation we may or may not have made: by its id when we got one, else by our key among
        everything the gateway holds (never a first page only). "missing" only when that whole search found
        nothing; "pending" while the gateway has not finished it. Raises GatewayUnavailable when it cannot tell."""

    @abc.abstractmethod
    def payouts_enabled(self, *, account_id: str) -> bool: ...

    def setup_intent_secret(self, *, customer_id: str) -> str:
        """A client secret for collecting a card in the browser (only gateways with a browser SDK)."""
        raise GatewayError("not_supported", "This gateway collects cards with the test-card form.")


_PATHS = {"sandbox": "payments.gateway.sandbox.SandboxGateway", "stripe": "payments.gateway.stripe.StripeGateway"}


def get_gateway() -> Gateway:
    return import_string(_PATHS[settings.PAYMENT_GATEWAY])()
