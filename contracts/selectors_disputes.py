"""Reads for disputes, scoped to the user asking: the contract's freelancer or a member of its organization (any
role) sees a dispute; anyone else gets NotFound, so ids leak nothing."""

from django.db.models import CharField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat

from accounts.permissions import OrgPerm, organization_ids_with
from contracts.models import Dispute, DisputeEvent, DisputeEvidence, EvidenceFile, SettlementOffer, Timesheet
from kernel.errors import NotFound
from kernel.refs import Kind


def _party(user, prefix: str = "") -> Q:
    return Q(**{f"{prefix}contract__freelancer_id": user.pk}) | Q(
        **{f"{prefix}contract__organization_id__in": organization_ids_with(user, OrgPerm.VIEW)}
    )


def _timesheets_by_reference() -> QuerySet[Timesheet]:
    """Timesheets with their reference ("timesheet:40", as kernel.refs.ref writes it) to match a dispute's subject."""
    reference = Concat(Value(f"{Kind.TIMESHEET.value}:"), Cast("pk", CharField()), output_field=CharField())
    return Timesheet.objects.annotate(reference=reference)


def disputes_visible_to(user) -> QuerySet[Dispute]:
    """The user's disputes; a timesheet's carries `week_start` (the disputed week; None on a milestone's)."""
    if not user.is_authenticated:
        return Dispute.objects.none()
    week = _timesheets_by_reference().filter(reference=OuterRef("subject_reference")).values("week_start")[:1]
    return (
        Dispute.objects.filter(_party(user))
        .select_related(
            "contract", "contract__organization", "contract__freelancer", "milestone", "opened_by", "resolved_by"
        )
        .annotate(week_start=Subquery(week))
    )


def dispute_get(*, user, dispute_id: int) -> Dispute:
    """One dispute with its timeline, evidence (and files) and settlement offers: a constant number of queries."""
    dispute = (
        disputes_visible_to(user)
        .prefetch_related(
            Prefetch("events", queryset=DisputeEvent.objects.select_related("actor")),
            Prefetch("evidence", queryset=DisputeEvidence.objects.select_related("author").prefetch_related("files")),
            Prefetch("offers", queryset=SettlementOffer.objects.select_related("proposed_by", "answered_by")),
        )
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        raise NotFound()
    return dispute


def evidence_files_readable_by(user) -> QuerySet[EvidenceFile]:
    """Evidence goes to the dispute's parties and to the staff who may see disputes in the admin (kernel.files
    serves it)."""
    if not user.is_authenticated:
        return EvidenceFile.objects.none()
    if user.is_active and user.is_staff and user.has_perm("contracts.view_dispute"):
        return EvidenceFile.objects.all()
    return EvidenceFile.objects.filter(_party(user, "evidence__dispute__"))
