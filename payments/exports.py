"""CSV downloads of transactions, shared by the pages and the API."""

import csv
import io

from payments.selectors import organization_transactions, transactions_for

USER_HEADER = ["date", "entry", "kind", "account", "amount", "currency", "reference", "memo"]
ORG_HEADER = ["date", "entry", "kind", "card_amount", "escrow_amount", "currency", "reference", "memo"]


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheets: quote it so it stays text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def user_transactions_csv(user) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(USER_HEADER)
    for posting in transactions_for(user).iterator(chunk_size=500):
        entry = posting.entry
        writer.writerow(
            [
                entry.created_at.isoformat(),
                entry.pk,
                entry.kind,
                posting.account.kind,
                _decimal(posting.amount_cents),
                posting.account.currency,
                _safe(entry.reference),
                _safe(entry.memo),
            ]
        )
    return out.getvalue()


def organization_transactions_csv(organization) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ORG_HEADER)
    for entry in organization_transactions(organization):
        writer.writerow(
            [
                entry.created_at.isoformat(),
                entry.pk,
                entry.kind,
                _decimal(entry.client_amount_cents),
                _decimal(entry.escrow_amount_cents),
                entry.currency,
                _safe(entry.reference),
                _safe(entry.memo),
            ]
        )
    return out.getvalue()
