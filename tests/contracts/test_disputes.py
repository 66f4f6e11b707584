"""Disputes: held at once, answered within the clock, settled by agreement or by staff in one ledger entry each,
never holding the same escrow twice; pages, API and admin for the people allowed to act."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, Role
from contracts.models import Dispute, Milestone, SettlementOffer
from contracts.services import disputes as services
from contracts.services import milestones as milestone_services
from contracts.services.contracts import contract_end, contract_pause, contract_resume
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kernel.files import url_for
from kernel.models import AuditEntry
from kernel.refs import Kind, ref
from messaging.models import Notification
from payments import fees
from payments.models import Hold, HoldStatus, JournalEntry
from payments.selectors import ledger_problems, wallet_for
from payments.services import saga
from tests.factories import FreelancerProfileFactory, MembershipFactory, UserFactory

S = Dispute.Status
M = Milestone.Status


@pytest.fixture
def funded(fund, milestone):
    fund(milestone)
    return milestone


@pytest.fixture
def staff(db):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="resolve_dispute"),
        *Permission.objects.filter(codename__in=["view_dispute", "view_feedback"]),
    )
    return user


def open_dispute(actor, milestone, reason="The work was never delivered.", **kwargs):
    return services.dispute_open_milestone(actor=actor, milestone_id=milestone.pk, reason=reason, **kwargs)


def entries_for(dispute) -> int:
    """Journal entries the dispute's resolution posted (settling its hold)."""
    return JournalEntry.objects.filter(hold__dispute=dispute).count()


def held(dispute) -> int:
    """What the dispute's hold still reserves."""
    hold = Hold.objects.get(pk=dispute.hold_id)
    return hold.amount_cents if hold.status == HoldStatus.PENDING else 0


def net(gross: int) -> int:
    return gross - fees.freelancer_fee(gross)


# --- Opening ---


def test_the_client_opens_a_dispute_and_the_money_is_held_at_once(owner, freelancer, contract, funded):
    dispute = open_dispute(owner, funded, evidence="We agreed on three pages; none arrived.")
    funded.refresh_from_db()
    assert funded.status == M.DISPUTED
    assert dispute.status == S.OPEN and dispute.opened_by_side == "client" and dispute.amount_cents == 10_000
    assert dispute.respond_by == dispute.opened_at + dt.timedelta(days=settings.DISPUTE_RESPONSE_DAYS)
    assert held(dispute) == 10_000
    assert [e.text for e in dispute.evidence.all()] == ["We agreed on three pages; none arrived."]
    assert Notification.objects.filter(user=freelancer, kind="dispute_opened").exists()
    assert ledger_problems() == []
    with pytest.raises(DomainError) as exc:
        contract_end(actor=owner, contract_id=contract.pk, outcome="cancelled", reason="Done with this.")
    assert exc.value.code == "dispute_open"
    # Held money cannot be released or refunded around the dispute.
    with pytest.raises(DomainError) as exc:
        milestone_services.milestone_approve(actor=owner, milestone_id=funded.pk)
    assert exc.value.code == "milestone_disputed"


def test_the_freelancer_opens_one_on_submitted_work_with_files(submit, freelancer, funded):
    submit(funded)
    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    dispute = open_dispute(freelancer, funded, reason="Approved in chat, never approved here.", files=[pdf])
    assert dispute.opened_by_side == "freelancer"
    assert [f.name for f in dispute.evidence.get().files.all()] == ["invoice.pdf"]


def test_refusals(fund, submit, owner, members, freelancer, contract, milestone, second_milestone):
    with pytest.raises(DomainError) as exc:
        open_dispute(owner, milestone)  # pending: nothing in escrow
    assert exc.value.code == "milestone_not_disputable"
    fund(milestone)
    submit(milestone)
    milestone_services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    with pytest.raises(DomainError) as exc:
        open_dispute(owner, milestone)  # released
    assert exc.value.code == "milestone_not_disputable"
    fund(second_milestone)
    with pytest.raises(NotFound):
        open_dispute(FreelancerProfileFactory().user, second_milestone)
    with pytest.raises(PermissionDenied):
        open_dispute(members[Role.HIRING_MANAGER], second_milestone)
    finance = members[Role.FINANCE]
    Membership.objects.filter(user=finance).delete()  # removed from the organization
    with pytest.raises(NotFound):
        open_dispute(finance, second_milestone)
    with pytest.raises(InvalidInput):
        open_dispute(owner, second_milestone, reason="  ")
    open_dispute(owner, second_milestone)
    with pytest.raises(DomainError) as exc:
        open_dispute(freelancer, second_milestone)
    assert exc.value.code == "dispute_exists"
    assert ledger_problems() == []


def test_a_replayed_opening_answers_with_the_same_dispute(owner, funded):
    first = open_dispute(owner, funded, request_key="k1")
    assert open_dispute(owner, funded, request_key="k1") == first
    with pytest.raises(DomainError):
        open_dispute(owner, funded, request_key="k2")
    assert held(first) == 10_000


def test_a_rejected_refund_opens_a_real_dispute_that_staff_can_resolve(owner, freelancer, staff, funded):
    milestone_services.milestone_request_refund(actor=owner, milestone_id=funded.pk, reason="Not needed any more.")
    milestone_services.milestone_reject_refund(actor=freelancer, milestone_id=funded.pk, reason="Already built it.")
    dispute = Dispute.objects.get(milestone=funded)
    assert dispute.status == S.RESPONDED
    assert [(e.side, e.text) for e in dispute.evidence.all()] == [
        ("client", "Not needed any more."),
        ("freelancer", "Already built it."),
    ]
    assert held(dispute) == 10_000
    services.dispute_resolve(staff=staff, dispute_id=dispute.pk, resolution="released", reason="Work was delivered.")
    funded.refresh_from_db()
    assert funded.status == M.APPROVED
    assert wallet_for(freelancer).pending_cents == net(10_000)


# --- Settlement by agreement ---


def test_the_parties_settle_on_a_split_in_one_entry(owner, freelancer, contract, funded):
    dispute = open_dispute(owner, funded)
    services.dispute_add_evidence(actor=freelancer, dispute_id=dispute.pk, text="Two of three pages are done.")
    dispute.refresh_from_db()
    assert dispute.status == S.RESPONDED
    first = services.settlement_propose(actor=freelancer, dispute_id=dispute.pk, freelancer_cents=7_000)
    offer = services.settlement_propose(actor=freelancer, dispute_id=dispute.pk, freelancer_cents=6_000, note="Fair")
    first.refresh_from_db()
    assert first.status == SettlementOffer.Status.WITHDRAWN
    with pytest.raises(DomainError) as exc:
        services.settlement_accept(actor=freelancer, dispute_id=dispute.pk, offer_id=offer.pk)
    assert exc.value.code == "own_settlement"
    resolved = services.settlement_accept(actor=owner, dispute_id=dispute.pk, offer_id=offer.pk)
    assert resolved.status == S.RESOLVED and resolved.resolution == "agreed"
    assert (resolved.freelancer_cents, resolved.client_cents) == (6_000, 4_000)
    assert entries_for(resolved) == 1
    assert wallet_for(freelancer).pending_cents == net(6_000)
    assert saga.escrow_balance(escrow_reference=contract.escrow_reference) == 0
    assert ledger_problems() == []
    # A replay of the acceptance moves nothing more.
    assert services.settlement_accept(actor=owner, dispute_id=dispute.pk, offer_id=offer.pk) == resolved
    assert entries_for(resolved) == 1
    funded.refresh_from_db()
    assert funded.status == M.APPROVED
    contract_end(actor=owner, contract_id=contract.pk, outcome="completed", reason="Settled.")


def test_a_settlement_cannot_exceed_the_held_amount(owner, funded):
    dispute = open_dispute(owner, funded)
    for bad in (10_001, -1, True, "5000"):
        with pytest.raises(InvalidInput):
            services.settlement_propose(actor=owner, dispute_id=dispute.pk, freelancer_cents=bad)
    assert not dispute.offers.exists()


# --- Staff ---


@pytest.mark.parametrize(
    ("resolution", "split", "to_freelancer", "milestone_status"),
    [("released", None, 10_000, M.APPROVED), ("refunded", None, 0, M.REFUNDED), ("split", 2_500, 2_500, M.APPROVED)],
)
def test_each_staff_resolution_is_one_entry_and_keeps_the_ledger(
    owner, freelancer, staff, contract, funded, resolution, split, to_freelancer, milestone_status
):
    dispute = open_dispute(owner, funded)
    resolved = services.dispute_resolve(
        staff=staff, dispute_id=dispute.pk, resolution=resolution, freelancer_cents=split, reason="Per the evidence."
    )
    assert (resolved.freelancer_cents, resolved.client_cents) == (to_freelancer, 10_000 - to_freelancer)
    assert resolved.resolved_by == staff and resolved.resolution_reason == "Per the evidence."
    (audited,) = AuditEntry.objects.filter(target=ref(Kind.DISPUTE, dispute.pk))
    assert (audited.actor_id, audited.action, audited.reason) == (staff.pk, "dispute_resolve", "Per the evidence.")
    assert audited.data["freelancer_cents"] == to_freelancer
    assert entries_for(resolved) == 1
    assert wallet_for(freelancer).pending_cents == (net(to_freelancer) if to_freelancer else 0)
    assert saga.escrow_balance(escrow_reference=contract.escrow_reference) == 0
    assert held(dispute) == 0
    assert ledger_problems() == []
    funded.refresh_from_db()
    assert funded.status == milestone_status
    assert Notification.objects.filter(user=freelancer, kind="dispute_resolved").exists()
    assert Notification.objects.filter(user=owner, kind="dispute_resolved").exists()
    with pytest.raises(DomainError) as exc:
        services.dispute_resolve(staff=staff, dispute_id=dispute.pk, resolution="released", reason="Again.")
    assert exc.value.code == "dispute_resolved"
    assert entries_for(resolved) == 1


def test_staff_without_the_permission_or_party_to_it_cannot_resolve(owner, staff, organization, funded):
    dispute = open_dispute(owner, funded)
    plain_staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        services.dispute_resolve(staff=plain_staff, dispute_id=dispute.pk, resolution="released", reason="x")
    Membership.objects.create(user=staff, organization=organization, role=Role.MEMBER)
    with pytest.raises(DomainError) as exc:
        services.dispute_resolve(staff=staff, dispute_id=dispute.pk, resolution="released", reason="Mine.")
    assert exc.value.code == "staff_is_party"
    other = UserFactory(is_staff=True)
    other.user_permissions.add(Permission.objects.get(codename="resolve_dispute"))
    with pytest.raises(InvalidInput):
        services.dispute_resolve(
            staff=other, dispute_id=dispute.pk, resolution="split", freelancer_cents=10_001, reason="x"
        )
    with pytest.raises(InvalidInput):
        services.dispute_resolve(staff=other, dispute_id=dispute.pk, resolution="released", reason=" ")
    assert held(dispute) == 10_000


def test_a_resolved_dispute_never_holds_the_same_escrow_twice(owner, freelancer, staff, contract, funded, fund):
    """The peer product's bug: resolving re-activated the contract, and the re-activation held the escrow again."""
    dispute = open_dispute(owner, funded)
    services.dispute_resolve(staff=staff, dispute_id=dispute.pk, resolution="refunded", reason="Not delivered.")
    entries_before = JournalEntry.objects.count()
    # The contract is paused and re-activated after the resolution...
    contract_pause(actor=owner, contract_id=contract.pk, reason="Pause after the dispute.")
    contract_resume(actor=owner, contract_id=contract.pk)
    # ...the milestone cannot be disputed again, and replaying its hold holds nothing.
    for actor in (owner, freelancer):
        with pytest.raises(DomainError) as exc:
            open_dispute(actor, funded)
        assert exc.value.code in ("dispute_exists", "milestone_not_disputable")
    replayed = saga.hold(
        escrow_reference=contract.escrow_reference,
        amount_cents=10_000,
        currency="USD",
        reference=ref(Kind.MILESTONE, funded.pk),
        cause=ref(Kind.DISPUTE, dispute.pk),
        idempotency_key=dispute.hold_key,
    )
    assert replayed.pk == dispute.hold_id and replayed.status == HoldStatus.POSTED
    assert JournalEntry.objects.count() == entries_before
    assert held(dispute) == 0
    assert saga.escrow_balance(escrow_reference=contract.escrow_reference) == 0
    assert ledger_problems() == []


# --- The 5-day clock ---


def test_the_response_clock_reminds_then_hands_the_dispute_to_staff(owner, freelancer, staff, funded):
    opened_at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with time_machine.travel(opened_at, tick=False):
        dispute = open_dispute(owner, funded)
    reminder_at = dispute.respond_by - dt.timedelta(hours=settings.DISPUTE_REMINDER_HOURS)
    with time_machine.travel(reminder_at - dt.timedelta(minutes=1), tick=False):
        assert services.disputes_clock() == (0, 0)
    with time_machine.travel(reminder_at, tick=False):
        assert services.disputes_clock() == (1, 0)
        assert services.disputes_clock() == (0, 0)
    assert Notification.objects.filter(user=freelancer, title__startswith="Reminder").count() == 1
    with time_machine.travel(dispute.respond_by, tick=False):
        assert services.disputes_clock() == (0, 1)
        assert services.disputes_clock() == (0, 0)
    dispute.refresh_from_db()
    assert dispute.status == S.ESCALATED and dispute.escalated_at == dispute.respond_by
    assert Notification.objects.filter(user=staff, title__contains="needs a decision").exists()


def test_a_response_stops_the_reminder_but_staff_still_decide_without_agreement(owner, freelancer, funded):
    dispute = open_dispute(owner, funded)
    services.dispute_add_evidence(actor=freelancer, dispute_id=dispute.pk, text="Here is my side.")
    assert services.disputes_clock(now=dispute.respond_by - dt.timedelta(hours=1)) == (0, 0)
    assert services.disputes_clock(now=dispute.respond_by) == (0, 1)


# --- Pages, API, admin ---


def test_both_parties_see_the_dispute_page_and_strangers_get_404(client, owner, freelancer, funded):
    dispute = open_dispute(owner, funded, evidence="Nothing arrived.")
    url = reverse("contracts:dispute_detail", args=[dispute.pk])
    for user in (owner, freelancer):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200 and "Nothing arrived." in page.content.decode()
    client.force_login(FreelancerProfileFactory().user)
    assert client.get(url).status_code == 404


def test_evidence_files_go_to_the_parties_and_staff_and_strangers_get_404(
    client, submit, owner, freelancer, staff, funded
):
    submit(funded)
    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    dispute = open_dispute(freelancer, funded, reason="Approved in chat, never approved here.", files=[pdf])
    url = url_for(dispute.evidence.get().files.get())
    assert client.get(url).status_code == 404
    strangers = (FreelancerProfileFactory().user, MembershipFactory(role=Role.OWNER).user, UserFactory(is_staff=True))
    for stranger in strangers:
        client.force_login(stranger)
        assert client.get(url).status_code == 404
    for reader in (freelancer, owner, staff):
        client.force_login(reader)
        if reader != staff:
            assert url in client.get(reverse("contracts:dispute_detail", args=[dispute.pk])).content.decode()
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == b"%PDF-1.4 evidence"


def test_pages_open_add_evidence_and_settle(client, owner, freelancer, funded):
    client.force_login(owner)
    response = client.post(
        reverse("contracts:dispute_open", args=[funded.pk]), {"reason": "Late and incomplete.", "key": "form-1"}
    )
    dispute = Dispute.objects.get(milestone=funded)
    assert response.status_code == 302 and response.url == reverse("contracts:dispute_detail", args=[dispute.pk])
    client.force_login(freelancer)
    client.post(reverse("contracts:dispute_evidence", args=[dispute.pk]), {"text": "It was on time."})
    too_much = client.post(reverse("contracts:settlement_propose", args=[dispute.pk]), {"freelancer_amount": "100.01"})
    assert too_much.status_code == 400 and "larger than the money held" in too_much.content.decode()
    client.post(reverse("contracts:settlement_propose", args=[dispute.pk]), {"freelancer_amount": "50"})
    offer = dispute.offers.get()
    client.force_login(owner)
    client.post(reverse("contracts:settlement_accept", args=[dispute.pk, offer.pk]))
    dispute.refresh_from_db()
    assert dispute.status == S.RESOLVED and dispute.freelancer_cents == 5_000
    page = client.get(reverse("contracts:dispute_detail", args=[dispute.pk])).content.decode()
    assert "Settled by agreement" in page


def test_the_dispute_page_reads_a_constant_number_of_queries(
    client, owner, freelancer, funded, django_assert_max_num_queries
):
    dispute = open_dispute(owner, funded)
    for n in range(5):
        services.dispute_add_evidence(actor=freelancer, dispute_id=dispute.pk, text=f"Point {n}.")
        services.settlement_propose(actor=owner, dispute_id=dispute.pk, freelancer_cents=n * 100)
    client.force_login(owner)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("contracts:dispute_detail", args=[dispute.pk])).status_code == 200


def test_the_api(client, owner, freelancer, funded):
    client.force_login(owner)
    body = {"milestone": funded.pk, "reason": "Not delivered."}
    missing_key = client.post("/api/v1/disputes/", body, content_type="application/json")
    assert missing_key.status_code == 400 and missing_key.json()["code"] == "idempotency_key_required"
    created = client.post("/api/v1/disputes/", body, content_type="application/json", headers={"Idempotency-Key": "a"})
    assert created.status_code == 201
    dispute_id = created.json()["id"]
    replay = client.post("/api/v1/disputes/", body, content_type="application/json", headers={"Idempotency-Key": "a"})
    assert replay.status_code == 201 and replay.json()["id"] == dispute_id
    other = client.post("/api/v1/disputes/", body, content_type="application/json", headers={"Idempotency-Key": "b"})
    assert other.status_code == 409 and other.json()["code"] == "dispute_exists"
    assert [d["id"] for d in client.get("/api/v1/disputes/").json()["results"]] == [dispute_id]
    client.force_login(freelancer)
    offer = client.post(
        f"/api/v1/disputes/{dispute_id}/offers/", {"freelancer_cents": 20_000}, content_type="application/json"
    )
    assert offer.status_code == 400
    offer = client.post(
        f"/api/v1/disputes/{dispute_id}/offers/", {"freelancer_cents": 8_000}, content_type="application/json"
    ).json()
    client.force_login(owner)
    accepted = client.post(
        f"/api/v1/disputes/{dispute_id}/offers/{offer['id']}/accept/", headers={"Idempotency-Key": "c"}
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "resolved"
    assert accepted.json()["freelancer_cents"] == 8_000
    client.force_login(FreelancerProfileFactory().user)
    assert client.get(f"/api/v1/disputes/{dispute_id}/").status_code == 404
    assert client.get("/api/v1/disputes/").json()["results"] == []


def test_admin_actions_for_permitted_and_unpermitted_staff(client, owner, freelancer, staff, funded):
    dispute = open_dispute(owner, funded)
    changelist = reverse("admin:contracts_dispute_changelist")
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_dispute"))
    client.force_login(viewer)
    page = client.get(changelist)
    assert page.status_code == 200 and "split_by_amounts" not in page.content.decode()
    refused = client.post(
        changelist, {"action": "split_by_amounts", "_selected_action": [dispute.pk], "apply": "1", "reason": "x"}
    )
    assert refused.status_code in (200, 302)
    dispute.refresh_from_db()
    assert dispute.status == S.OPEN

    client.force_login(staff)
    form = client.post(changelist, {"action": "split_by_amounts", "_selected_action": [dispute.pk]})
    assert form.status_code == 200 and "To the freelancer" in form.content.decode()
    done = client.post(
        changelist,
        {
            "action": "split_by_amounts",
            "_selected_action": [dispute.pk],
            "apply": "1",
            "freelancer_amount": "30.00",
            "reason": "Part of the work was delivered.",
        },
    )
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.freelancer_cents, dispute.client_cents) == (S.RESOLVED, 3_000, 7_000)
    assert dispute.resolution_reason == "Part of the work was delivered."
    assert ledger_problems() == []


def test_a_lost_dispute_counts_against_the_job_success_score(owner, freelancer, staff, funded):
    from contracts.services.score import Outcome, job_success_for

    dispute = open_dispute(owner, funded)
    services.dispute_resolve(staff=staff, dispute_id=dispute.pk, resolution="refunded", reason="Not delivered.")
    (counted,) = job_success_for(freelancer_id=freelancer.pk).contracts
    assert counted.outcome == Outcome.DISPUTE_LOST


def test_the_staff_dashboard_shows_held_money_disputes_by_age_and_a_volume_chart(client, owner, staff, funded):
    open_dispute(owner, funded)
    client.force_login(owner)
    assert client.get("/admin/dashboard/").status_code == 302  # not staff: the admin login
    client.force_login(staff)
    page = client.get("/admin/dashboard/").content.decode()
    assert "Held in open disputes</th><td>$100.00" in page
    assert "<tr><td>Under 2 days</td><td>1</td><td>$100.00</td></tr>" in page
    assert "<svg" in page and page.count("<rect") == 12
    assert "$100.00. </desc>" in page  # this week's funding is the last bar
