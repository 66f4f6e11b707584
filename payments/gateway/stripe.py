"""Stripe through the official SDK (StripeClient), pointed at settings.STRIPE_API_BASE when set (localstripe in
tests). Every call that moves money carries our idempotency key and our operation key in its metadata, so a
lost answer can be found again by `find`."""

import stripe
from django.conf import settings

from payments.gateway.base import (
    CardDeclined,
    CardDetails,
    Gateway,
    GatewayError,
    GatewayPending,
    GatewayUnavailable,
    RemoteResult,
)

# A confirmed off-session PaymentIntent back at requires_payment_method was declined. Anything not listed
# (processing, a refund's pending or requires_action) is not finished: "pending".
_STATUS = {
    "succeeded": "succeeded",
    "paid": "succeeded",
    "failed": "failed",
    "canceled": "failed",
    "requires_payment_method": "failed",
}


def _client(http_client=None) -> stripe.StripeClient:
    kwargs = {"max_network_retries": 0}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    if http_client is not None:
        kwargs["http_client"] = http_client
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs)


def _options(idempotency_key: str) -> dict:
    return {"idempotency_key": idempotency_key}


class StripeGateway(Gateway):
    name = "stripe"

    def __init__(self, *, http_client=None):
        self.client = _client(http_client)

    def _call(self, fn, *args, **kwargs):
        """Translate Stripe's errors: a refusal is a GatewayError (nothing happened), a lost connection is
        GatewayUnavailable (we cannot tell)."""
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "The card was declined.") from exc
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnavailable(str(exc)) from exc
        except stripe.APIError as exc:
            # A 5xx from Stripe: the request may or may not have been applied.
            raise GatewayUnavailable(str(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayError(getattr(exc, "code", None) or "gateway_error", exc.user_message or str(exc)) from exc

    def create_customer(self, *, organization_id: int, name: str) -> str:
        customer = self._call(
            self.client.v1.customers.create,
            params={"name": name, "metadata": {"organization_id": str(organization_id)}},
            options=_options(f"customer:{organization_id}"),
        )
        return customer.id

    def attach_card(self, *, customer_id: str, token: str) -> CardDetails:
        pm = self._call(self.client.v1.payment_methods.attach, token, params={"customer": customer_id})
        card = pm.card
        return CardDetails(pm.id, str(card.brand).title(), card.last4, int(card.exp_month), int(card.exp_year))

    def detach_card(self, *, token: str) -> None:
        self._call(self.client.v1.payment_methods.detach, token)

    def charge(self, *, customer_id, token, amount_cents, currency, idempotency_key, metadata) -> str:
        intent = self._call(
            self.client.v1.payment_intents.create,
            params={
                "amount": amount_cents,
                "currency": currency.lower(),
                "customer": customer_id,
                "payment_method": token,
                "confirm": True,
                "off_session": True,
                "metadata": {**metadata, "idempotency_key": idempotency_key},
            },
            options=_options(idempotency_key),
        )
        if intent.status != "succeeded":
            # Off-session and confirmed at once: anything else (requires_action...) is a refusal here.
            raise CardDeclined(f"The payment could not be completed ({intent.status}).")
        return intent.id

    def refund(self, *, charge_id, amount_cents, idempotency_key, metadata) -> str:
        refund = self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": charge_id,
                "amount": amount_cents,
                "metadata": {**metadata, "idempotency_key": idempotency_key},
            },
            options=_options(idempotency_key),
        )
        if refund.status in ("failed", "canceled"):
            raise GatewayError("refund_failed", "The gateway refused the refund.")
        if refund.status != "succeeded":
            # Accepted, not done (Stripe: pending, requires_action): it settles by webhook or reconcile.
            raise GatewayPending(refund.id)
        return refund.id

    def transfer(self, *, destination, amount_cents, currency, idempotency_key, metadata) -> str:
        transfer = self._call(
            self.client.v1.transfers.create,
            params={
                "amount": amount_cents,
                "currency": currency.lower(),
                "destination": destination,
                # Stripe lists transfers by group: the key lets `find` recover one whose answer was lost.
                "transfer_group": idempotency_key,
                "metadata": {**metadata, "idempotency_key": idempotency_key},
            },
            options=_options(idempotency_key),
        )
        return transfer.id

    def find(self, *, kind, idempotency_key, gateway_id="", parent_id=""):
        if gateway_id:
            resource = {
                "charge": self.client.v1.payment_intents,
                "refund": self.client.v1.refunds,
            }.get(kind, self.client.v1.transfers)
            found = [self._call(resource.retrieve, gateway_id)]
        else:
            # Every page, never just the latest 100: a missed match would fail a charge the gateway captured.
            found = self._call(lambda: list(self._search(kind, idempotency_key, parent_id)))
        for obj in found:
            # SDK 16 objects are not dicts (`.get` raises): read them through to_dict().
            data = obj.to_dict()
            if gateway_id or (data.get("metadata") or {}).get("idempotency_key") == idempotency_key:
                status = data.get("status")
                if kind == "transfer":
                    status = "failed" if data.get("reversed") else "succeeded"
                return RemoteResult(_STATUS.get(status, "pending"), data["id"])
        return RemoteResult("missing")

    def _search(self, kind, idempotency_key, parent_id):
        if kind == "charge":
            try:
                # Stripe's search by the metadata we sent (its index lags a minute at most; reconcile waits longer).
                query = f"metadata['idempotency_key']:'{idempotency_key}'"
                return list(self.client.v1.payment_intents.search(params={"query": query}).auto_paging_iter())
            except stripe.InvalidRequestError:
                # No search here (localstripe): every page of the list, never only the latest 100.
                return self.client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        if kind == "refund":
            return self.client.v1.refunds.list(params={"payment_intent": parent_id, "limit": 100}).auto_paging_iter()
        return self.client.v1.transfers.list(
            params={"transfer_group": idempotency_key, "limit": 100}
        ).auto_paging_iter()

    def payouts_enabled(self, *, account_id: str) -> bool:
        account = self._call(self.client.v1.accounts.retrieve, account_id)
        return bool(account.payouts_enabled)

    def setup_intent_secret(self, *, customer_id: str) -> str:
        intent = self._call(
            self.client.v1.setup_intents.create, params={"customer": customer_id, "usage": "off_session"}
        )
        return intent.client_secret
