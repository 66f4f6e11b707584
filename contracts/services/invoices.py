"""Invoices and statements of closed weeks: issuing them with gapless numbers, reading them, CSV and PDF.

The invoice is issued in the freelancer's name to the client (numbered per freelancer); the statement by the
platform to the freelancer (numbered by the platform). Each is dated in the zone of whom it is for, as the
timesheet pages are in their reader's: the invoice in the organization's, the statement in the freelancer's
profile's. Its days are cut at that zone's midnights when it is issued and frozen with it (each line names its
zone; documents from before lines named one are in UTC). A number is taken from the issuer's DocumentSequence row
under its lock in the transaction that writes the document, so a rollback gives it back: no gaps, no repeats.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from accounts.models import FreelancerProfile
from accounts.permissions import OrgPerm, organization_ids_with
from contracts.models import BillingDocument, DocumentSequence, Timesheet
from contracts.services.timesheets import intervals_of
from contracts.services.weeks import Interval, day_totals, hours_label, zone_of
from kernel.errors import NotFound
from kernel.money import format_money
from kernel.transitions import lock
from payments import fees

PLATFORM_ISSUER = "platform"
DOC = BillingDocument.Kind


def _next_number(*, issuer_key: str, kind: str) -> int:
    try:
        with transaction.atomic():
            DocumentSequence.objects.get_or_create(issuer_key=issuer_key, kind=kind)
    except IntegrityError:
        pass  # another transaction made the row at the same moment: lock it below
    sequence = lock(DocumentSequence.objects, issuer_key=issuer_key, kind=kind)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _lines(intervals: list[Interval], *, limit_minutes: int, zone: ZoneInfo) -> list[dict]:
    days = day_totals(intervals, limit_minutes=limit_minutes, zone=zone)
    return [
        {"date": d.date.isoformat(), "zone": zone.key, "minutes": d.minutes, "billable_minutes": d.billable_minutes}
        for d in days
    ]


def documents_issue(*, timesheet: Timesheet, now: dt.datetime) -> list[BillingDocument]:
    """The week's invoice and statement, once (call inside the transaction that records the charge)."""
    if timesheet.documents.exists():
        return list(timesheet.documents.all())
    contract = timesheet.contract
    profile = FreelancerProfile.objects.filter(user_id=contract.freelancer_id)
    freelancer_zone = zone_of(profile.values_list("timezone", flat=True).first())
    intervals, limit = intervals_of(timesheet.entries.all()), timesheet.weekly_limit_hours * 60
    freelancer_fee = fees.freelancer_fee(timesheet.amount_cents)
    common = {
        "timesheet": timesheet,
        "hourly_rate_cents": timesheet.hourly_rate_cents,
        "billable_minutes": timesheet.billable_minutes,
        "total_minutes": timesheet.total_minutes,
        "amount_cents": timesheet.amount_cents,
        "currency": timesheet.currency,
        "issued_at": now,
    }
    invoice_issuer = f"user:{contract.freelancer_id}"
    return [
        BillingDocument.objects.create(
            kind=DOC.INVOICE,
            issuer_key=invoice_issuer,
            number=_next_number(issuer_key=invoice_issuer, kind=DOC.INVOICE),
            lines=_lines(intervals, limit_minutes=limit, zone=zone_of(contract.organization.timezone)),
            fee_cents=timesheet.client_fee_cents,
            total_cents=timesheet.amount_cents + timesheet.client_fee_cents,
            **common,
        ),
        BillingDocument.objects.create(
            kind=DOC.STATEMENT,
            issuer_key=PLATFORM_ISSUER,
            number=_next_number(issuer_key=PLATFORM_ISSUER, kind=DOC.STATEMENT),
            lines=_lines(intervals, limit_minutes=limit, zone=freelancer_zone),
            fee_cents=freelancer_fee,
            total_cents=timesheet.amount_cents - freelancer_fee,
            **common,
        ),
    ]


# --- Reads: invoices to the client's members, statements to the freelancer ---


def documents_visible_to(user) -> QuerySet[BillingDocument]:
    if not user.is_authenticated:
        return BillingDocument.objects.none()
    invoices = Q(kind=DOC.INVOICE, timesheet__contract__organization_id__in=organization_ids_with(user, OrgPerm.VIEW))
    statements = Q(kind=DOC.STATEMENT, timesheet__contract__freelancer_id=user.pk)
    return BillingDocument.objects.filter(invoices | statements).select_related(
        "timesheet__contract__organization", "timesheet__contract__freelancer"
    )


def document_get(*, user, document_id: int) -> BillingDocument:
    document = documents_visible_to(user).filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document


def document_zone(document: BillingDocument) -> ZoneInfo:
    """The zone the document is dated in (the one its lines were cut in when it was issued)."""
    return zone_of(document.lines[0].get("zone") if document.lines else None)


def _rows(document: BillingDocument) -> list[list[str]]:
    """The document as rows of text: the one source of the CSV and the PDF."""
    contract = document.timesheet.contract
    zone = document_zone(document)
    money = document.currency
    fee_label = "Client fee" if document.kind == DOC.INVOICE else "Freelancer service fee"
    total_label = "Total charged" if document.kind == DOC.INVOICE else "You earn"
    rows = [
        [document.get_kind_display(), document.display_number],
        ["Issued", f"{document.issued_at.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"],
        ["Contract", contract.title],
        ["Client", contract.organization.name],
        ["Freelancer", contract.freelancer.display_name],
        ["Week", f"{document.timesheet.week_start:%Y-%m-%d} to {document.timesheet.week_end:%Y-%m-%d} (UTC)"],
        [],
        [f"Date ({zone.key})", "Hours", "Billable hours"],
    ]
    rows += [
        [line["date"], hours_label(line["minutes"]), hours_label(line["billable_minutes"])] for line in document.lines
    ]
    fee_sign = "" if document.kind == DOC.INVOICE else "-"
    rows += [
        [],
        ["Hours logged", hours_label(document.total_minutes)],
        ["Billable hours", hours_label(document.billable_minutes)],
        ["Hourly rate", format_money(document.hourly_rate_cents, money)],
        ["Amount", format_money(document.amount_cents, money)],
        [fee_label, fee_sign + format_money(document.fee_cents, money)],
        [total_label, format_money(document.total_cents, money)],
    ]
    return rows


def document_csv(document: BillingDocument) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _rows(document):
        # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
        writer.writerow([f"'{cell}" if cell[:1] in "=+-@" else cell for cell in row])
    return out.getvalue()


_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _latin1(text: str) -> str:
    """The built-in PDF font's alphabet, for a machine without the body font."""
    return text.replace("\u2212", "-").encode("latin-1", "replace").decode("latin-1")


def document_pdf(document: BillingDocument) -> bytes:
    """A one-page PDF made here with fpdf2 (no network). DejaVu Sans when the system has it (any script);
    else the PDF core font, with characters outside Latin-1 replaced."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(document.display_number)
    pdf.add_page()
    clean: Callable[[str], str] = str
    if _FONT.exists():
        pdf.add_font("body", fname=str(_FONT))
        family = "body"
    else:
        family, clean = "helvetica", _latin1

    rows = _rows(document)
    pdf.set_font(family, size=16)
    pdf.cell(0, 10, clean(f"{rows[0][0]} {rows[0][1]}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    for row in rows[1:]:
        if not row:
            pdf.ln(4)
            continue
        widths = [60, 50, 50] if len(row) == 3 else [60, 120]
        for width, cell in zip(widths, row, strict=False):
            pdf.cell(width, 6, clean(cell)[:90])
        pdf.ln(6)
    return bytes(pdf.output())
