"""The money tables: a double-entry ledger, the gateway operations that feed it, and what users keep on file.

Sign convention: an account's balance is what the platform holds for that purpose (escrow, a freelancer's
pending or available money, fee revenue). The gateway clearing account is the mirror of the outside world: money
coming in through the card processor makes it negative, money going out (payouts, refunds, chargebacks) brings
it back up. Every entry's postings sum to zero, so the sum of every balance is always zero.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organization


class AccountKind(models.TextChoices):
    GATEWAY_CLEARING = "gateway_clearing", "Gateway clearing"
    ESCROW = "escrow", "Escrow"
    FREELANCER_PENDING = "freelancer_pending", "Freelancer pending (security hold)"
    FREELANCER_AVAILABLE = "freelancer_available", "Freelancer available"
    CLIENT_FEE_REVENUE = "client_fee_revenue", "Client fee revenue"
    FREELANCER_FEE_REVENUE = "freelancer_fee_revenue", "Freelancer fee revenue"
    CHARGEBACKS = "chargebacks", "Chargeback losses"


# Money that belongs to someone and can only be spent once: these balances may never go below zero, and only
# they keep a cached balance (checked against their postings). The platform's own accounts (clearing, fee revenue,
# chargebacks) may go negative and are touched by every entry: their balance is the sum of their postings, never a
# row every payment would have to lock.
NON_NEGATIVE_KINDS = (AccountKind.ESCROW, AccountKind.FREELANCER_PENDING, AccountKind.FREELANCER_AVAILABLE)


class LedgerAccount(models.Model):
    """One balance. `owner_key` names the owner once ("user:5", "org:3", "escrow:contract:7", "platform") so an
    account is unique per (kind, owner, currency); the user / organization columns are there for scoping. A payee
    is an owner, not necessarily a user: an agency's pending and available money is an organization's."""

    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    owner_key = models.CharField(max_length=160)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    # For escrow accounts: what the escrow is for ("contract:7").
    reference = models.CharField(max_length=120, blank=True)
    # What people call it (an escrow: the contract's title), set by the caller that first funds it.
    label = models.CharField(max_length=200, blank=True)
    # NON_NEGATIVE_KINDS only: a cache of the sum of this account's postings, moved in the same statement as
    # each posting, and the part of it reserved by pending holds (TigerBeetle's debits_pending). What can be spent
    # is balance − held. Always 0 on the platform's accounts.
    balance_cents = models.BigIntegerField(default=0)
    held_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "owner_key", "currency"], name="ledger_account_once"),
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0) | ~Q(kind__in=[k.value for k in NON_NEGATIVE_KINDS]),
                name="ledger_account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(held_cents__gte=0) & Q(held_cents__lte=models.F("balance_cents")),
                name="ledger_account_held_within_balance",
            ),
        ]
        indexes = [models.Index(fields=["organization", "kind"]), models.Index(fields=["user", "kind"])]
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.owner_key} {self.currency}"


class EntryKind(models.TextChoices):
    ESCROW_FUND = "escrow_fund", "Escrow funded"
    ESCROW_RELEASE = "escrow_release", "Escrow released"
    ESCROW_REFUND = "escrow_refund", "Escrow refunded"
    ESCROW_SETTLEMENT = "escrow_settlement", "Escrow settled (split)"
    HOLD_MATURED = "hold_matured", "Security hold ended"
    PAYOUT = "payout", "Payout"
    PAYOUT_FAILED = "payout_failed", "Payout failed (returned to available)"
    PAYOUT_REVERSED = "payout_reversed", "Payout partly reversed (returned to available)"
    CHARGEBACK = "chargeback", "Chargeback"
    CHARGEBACK_WON = "chargeback_won", "Chargeback won"


class JournalEntry(models.Model):
    """One business event. Append-only: corrections are new entries. The idempotency key is chosen by the caller
    and kept, so a retried request is recognised as the same operation; `request_hash` tells a retry from a
    different request that reuses a key."""

    idempotency_key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, choices=EntryKind.choices)
    currency = models.CharField(max_length=3)
    # What caused it, in the caller's terms ("milestone:12"); fund, release and refund of one piece of work
    # share it, which is how the ledger check proves nothing left escrow beyond what came in for it.
    reference = models.CharField(max_length=120, blank=True, db_index=True)
    memo = models.CharField(max_length=255, blank=True)
    # Whose money it is about, for scoped reads (the postings hold the amounts).
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="journal_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="journal_entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "journal entries"

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.reference}"


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount_cents=0), name="posting_not_zero")]
        ordering = ["id"]

    def __str__(self):
        return f"{self.account}: {self.amount_cents}"


class HoldLot(models.Model):
    """Money released to a payee that waits out the security hold in its pending account; one lot per release."""

    account = models.ForeignKey("LedgerAccount", on_delete=models.PROTECT, related_name="hold_lots")
    currency = models.CharField(max_length=3)
    amount_cents = models.BigIntegerField()
    release_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="hold_lot")
    available_at = models.DateTimeField(db_index=True)
    matured_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="matured_lot"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="hold_lot_positive")]
        ordering = ["available_at", "id"]

    def __str__(self):
        return f"{self.amount_cents} {self.currency} for account {self.account_id} on {self.available_at:%Y-%m-%d}"


class OperationKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"
    TRANSFER = "transfer", "Payout transfer"


class OperationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class GatewayOperation(models.Model):
    """A payment operation of the saga (payments.services.saga): a charge, refund or transfer, begun for the caller's
    reference ("milestone:12") under the caller's idempotency key, committed before the gateway is called, and
    settled once by whichever comes first of the call's answer, the webhook or reconcile. Its status is the only
    in-flight state: callers keep none of their own.

    A failed charge can still succeed later (the gateway captured it after all; its webhook arrives late): failed →
    succeeded, and the saga then finishes it or gives the money back."""

    ALLOWED = {
        OperationStatus.PENDING: {OperationStatus.SUCCEEDED, OperationStatus.FAILED},
        OperationStatus.SUCCEEDED: set(),
        OperationStatus.FAILED: {OperationStatus.SUCCEEDED},
    }

    kind = models.CharField(max_length=16, choices=OperationKind.choices)
    idempotency_key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=OperationStatus.choices, default=OperationStatus.PENDING)
    amount_cents = models.BigIntegerField()
    # For a charge: the client fee included in amount_cents; for a refund: the fee part refunded.
    fee_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="gateway_operations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="gateway_operations"
    )
    # Who began it (the business side's history names them when it settles later); null for the system.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The escrow a charge pays into or a refund gives back from.
    escrow_account = models.ForeignKey(
        "LedgerAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="operations"
    )
    # The caller's reference ("milestone:12", "dispute:3"): its kind picks the settlement callback.
    reference = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=255, blank=True)
    # A refund points at the charge it gives back, and at the hold whose settlement it completes.
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    hold = models.ForeignKey("Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="operations")
    payment_method = models.ForeignKey(
        "PaymentMethod", on_delete=models.SET_NULL, null=True, blank=True, related_name="operations"
    )
    # The customer / payment method / connected account the call used, kept in case the saved one is removed.
    gateway_customer = models.CharField(max_length=255, blank=True)
    gateway_source = models.CharField(max_length=255, blank=True)
    gateway_id = models.CharField(max_length=255, blank=True, db_index=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_detail = models.CharField(max_length=255, blank=True)
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="gateway_operations"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Not a column: True only on the instance a `saga.begin_*` call has just inserted, whose gateway call is still
    # to make; a row read again, or returned for a repeated key, is not fresh and `saga.execute` replays it.
    fresh: bool = False

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["reference", "kind"], name="operation_reference_idx"),
        ]
        constraints = [
            # One charge and one refund in flight per reference: a second request with another key is refused
            # while the first one's gateway call runs.
            models.UniqueConstraint(
                fields=["reference", "kind"],
                condition=Q(status=OperationStatus.PENDING) & ~Q(reference=""),
                name="operation_one_in_flight_per_reference",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_cents} {self.currency} ({self.status})"


class HoldStatus(models.TextChoices):
    PENDING = "pending", "Held"
    POSTED = "posted", "Settled"
    VOIDED = "voided", "Released back"


class Hold(models.Model):
    """Money frozen in an account (TigerBeetle's two-phase transfer): reserved at once, then posted (settled in one
    journal entry, split between payee and payer) or voided (free again). A reserved amount counts in
    `LedgerAccount.held_cents` until then, so nothing else can release or refund it.

    `reference` is whose money it is (the funded "milestone:12" or "timesheet:40": the settlement entry carries it,
    so escrow per piece of work still adds up); `cause` is who holds it ("dispute:3", or the milestone itself for
    an agreed refund): its kind picks the settlement callback."""

    ALLOWED = {
        HoldStatus.PENDING: {HoldStatus.POSTED, HoldStatus.VOIDED},
        HoldStatus.POSTED: set(),
        HoldStatus.VOIDED: set(),
    }

    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="holds")
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=120)
    cause = models.CharField(max_length=120)
    idempotency_key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=HoldStatus.choices, default=HoldStatus.PENDING)
    # The settlement being made (set while its refund to the payer is at the gateway): who gets what.
    payee_account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="settlements"
    )
    payee_cents = models.BigIntegerField(default=0)
    payer_cents = models.BigIntegerField(default=0)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="hold")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reference", "status"], name="hold_reference_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="hold_positive"),
            models.CheckConstraint(
                condition=Q(payee_cents__gte=0) & Q(payer_cents__gte=0), name="hold_split_not_negative"
            ),
        ]

    def __str__(self):
        return f"Hold {self.amount_cents} {self.currency} of {self.reference} for {self.cause} ({self.status})"


class GatewayCustomer(models.Model):
    """The gateway's customer record for an organization (Stripe: cus_...; sandbox: a fake id)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="gateway_customers")
    gateway = models.CharField(max_length=16)
    customer_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "gateway"], name="gateway_customer_once")]

    def __str__(self):
        return f"{self.organization} @ {self.gateway}: {self.customer_id}"


class PaymentMethod(models.Model):
    """A card an organization keeps on file. Only the gateway's token, the brand and the last four digits are
    stored: never the number or the CVC."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="payment_methods")
    gateway = models.CharField(max_length=16)
    token = models.CharField(max_length=255)
    brand = models.CharField(max_length=32)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="one_default_payment_method"
            ),
            models.UniqueConstraint(fields=["gateway", "token"], name="payment_method_token_once"),
        ]
        ordering = ["-is_default", "-created_at", "-id"]

    def __str__(self):
        return f"{self.brand} •••• {self.last4}"


class PayoutMethod(models.Model):
    class Kind(models.TextChoices):
        SANDBOX_BANK = "sandbox_bank", "Bank account (sandbox)"
        STRIPE_CONNECT = "stripe_connect", "Stripe connected account"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_methods")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=80)
    last4 = models.CharField(max_length=4, blank=True)
    stripe_account_id = models.CharField(max_length=255, blank=True)
    # Sandbox: verified when added. Stripe: the connected account's payouts_enabled when last checked.
    verified = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_default=True), name="one_default_payout_method")
        ]
        ordering = ["-is_default", "-created_at", "-id"]

    def __str__(self):
        return self.label


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class Payout(models.Model):
    # A payout the gateway accepted can still fail later (the bank bounces it): paid → failed.
    ALLOWED = {
        PayoutStatus.PENDING: {PayoutStatus.PAID, PayoutStatus.FAILED},
        PayoutStatus.PAID: {PayoutStatus.FAILED},
        PayoutStatus.FAILED: set(),
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    payout_method = models.ForeignKey(PayoutMethod, on_delete=models.SET_NULL, null=True, related_name="payouts")
    destination_label = models.CharField(max_length=80)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    idempotency_key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    # Set in the transaction that creates the payout, right after it (the transfer's reference names the payout).
    operation = models.OneToOneField(
        GatewayOperation, on_delete=models.PROTECT, null=True, blank=True, related_name="payout"
    )
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="payout")
    failure_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="failed_payout"
    )
    failure_reason = models.CharField(max_length=255, blank=True)
    # What the gateway took back of a paid transfer so far (a partial reversal leaves the payout paid).
    reversed_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_positive"),
            models.CheckConstraint(
                condition=Q(reversed_cents__gte=0) & Q(reversed_cents__lte=models.F("amount_cents")),
                name="payout_reversed_within_amount",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Payout {self.amount_cents} {self.currency} to {self.destination_label} ({self.status})"


class WebhookEvent(models.Model):
    """Each gateway event once: a replay finds its row and changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class ChargebackStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Chargeback(models.Model):
    """A card dispute the gateway reported. The platform absorbs it (its own entry against clearing); it is never
    taken back from a freelancer. Staff see it until the card network decides."""

    ALLOWED = {
        ChargebackStatus.OPEN: {ChargebackStatus.WON, ChargebackStatus.LOST},
        ChargebackStatus.WON: set(),
        ChargebackStatus.LOST: set(),
    }

    gateway_dispute_id = models.CharField(max_length=255, unique=True)
    operation = models.ForeignKey(
        GatewayOperation, on_delete=models.PROTECT, null=True, blank=True, related_name="chargebacks"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="chargebacks"
    )
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=8, choices=ChargebackStatus.choices, default=ChargebackStatus.OPEN)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="chargeback")
    resolution_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="resolved_chargeback"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Chargeback {self.gateway_dispute_id} ({self.status})"


class SandboxRecord(models.Model):
    """The sandbox processor's own memory, standing in for Stripe's side: the cards it tokenized and the charges,
    refunds and transfers it made, each once per idempotency key. Only SandboxGateway touches it."""

    kind = models.CharField(max_length=16)
    object_id = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    amount_cents = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, default="succeeded")
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "idempotency_key"], condition=~Q(idempotency_key=""), name="sandbox_key_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}"
