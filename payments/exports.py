"""CSV downloads of transactions, shared by the pages and the API."""

import csv
import io

from payments.selectors import organization_transactions, transactions_for

USER_HEADER = ["date", "entry", "kind", "account", "amount", "currency", "reference", "memo"]
ORG_HEADER = ["date", "entry", "kind", "card_amount", "escrow_amount", "currency", "reference", "memo"]


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


# What makes a spreadsheet read a cell as a formula (or a DDE command) when it starts one: = + - @, the pipe, tab
# and carriage return (OWASP's CSV injection list), and their full-width forms (＝ ＋ － ＠ ｜), which spreadsheets
# in East Asian locales accept as the same signs.
_FORMULA_STARTS = frozenset("=+-@|\t\r＝＋－＠｜")


def _safe(text: str) -> str:
    """Quote a cell that a spreadsheet would run as a formula, so it stays text."""
    return f"'{text}" if text[:1] in _FORMULA_STARTS else text


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
