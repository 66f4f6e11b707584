"""Conversations: who may read them (decided now, not when opened), posting, read state, held-back contact
details, reports and moderation, the pages and the API."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services.organizations import member_remove
from contracts.services import offers
from jobs.services.proposals import proposal_submit
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kernel.models import AuditEntry
from kernel.templatetags.kernel_files import file_url
from messaging import selectors, services
from messaging.contact import off_platform_contact
from messaging.models import Conversation, Message, Notification
from messaging.templatetags.messaging_tags import message_html
from tests.factories import FreelancerProfileFactory, JobFactory, MembershipFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_contract_conversation_is_read_by_the_freelancer_and_every_member_who_sees_contracts(room):
    for person in (room.freelancer, room.owner, room.hiring, room.finance, room.member):
        assert selectors.may_read(person, room.contract.pk)
    assert not selectors.may_read(room.outsider, room.contract.pk)


def test_a_proposal_conversation_is_read_by_its_author_and_those_who_review_proposals(room):
    assert {u.pk for u in selectors.people_in(room.proposal)} == {room.freelancer.pk, room.owner.pk, room.hiring.pk}
    assert not selectors.may_read(room.finance, room.proposal.pk)


def test_opening_is_idempotent_on_the_reference(room):
    again = services.conversation_open(
        reference=room.contract.reference, title="Other", organization_id=room.organization.pk, freelancer=room.owner
    )
    assert again.pk == room.contract.pk and again.title == "Landing page" and again.freelancer == room.freelancer


def test_a_removed_member_loses_the_conversation_and_a_member_who_joins_later_gains_it(room):
    services.message_post(conversation_id=room.contract.pk, sender=room.member, body="Reading along")
    member_remove(actor=room.owner, organization_id=room.organization.pk, membership_id=room.memberships["member"].pk)
    assert not selectors.may_read(room.member, room.contract.pk)
    with pytest.raises(NotFound):
        services.message_post(conversation_id=room.contract.pk, sender=room.member, body="still here?")
    newcomer = MembershipFactory(organization=room.organization, role="member").user
    assert [m.body for m in selectors.messages_of(conversation=room.contract, user=newcomer)] == ["Reading along"]


def test_posting_updates_read_state_unread_counts_and_tells_the_others(room):
    services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="  First draft is up  ")
    services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="And the copy")
    inbox = {c.pk: c for c in selectors.inbox_of(room.owner)}
    assert inbox[room.contract.pk].unread == 2 and inbox[room.contract.pk].preview == "And the copy"
    assert selectors.inbox_of(room.freelancer).get(pk=room.contract.pk).unread == 0
    # One bell entry per conversation, however many messages arrive.
    bell = Notification.objects.filter(user=room.owner, kind="new_message")
    assert bell.count() == 1 and bell.get().url == reverse("messaging:conversation", args=[room.contract.pk])
    services.conversation_mark_read(conversation_id=room.contract.pk, user=room.owner)
    assert selectors.inbox_of(room.owner).get(pk=room.contract.pk).unread == 0
    assert bell.get().read_at is not None
    assert selectors.seen_by(conversation=room.contract, user=room.freelancer) == [room.owner.display_name]


def test_the_inbox_puts_unread_first_and_searches_titles_and_texts(room):
    services.message_post(conversation_id=room.contract.pk, sender=room.owner, body="Invoice question")
    services.message_post(conversation_id=room.proposal.pk, sender=room.freelancer, body="Portfolio link")
    assert [c.pk for c in selectors.inbox_of(room.owner)] == [room.proposal.pk, room.contract.pk]
    assert [c.pk for c in selectors.inbox_of(room.owner, q="invoice")] == [room.contract.pk]
    assert [c.pk for c in selectors.inbox_of(room.owner, q="Proposal on")] == [room.proposal.pk]


def test_empty_messages_nul_bytes_and_too_many_files_are_refused(room, settings):
    with pytest.raises(InvalidInput):
        services.message_post(conversation_id=room.contract.pk, sender=room.owner, body="   ")
    with pytest.raises(InvalidInput):
        services.message_post(conversation_id=room.contract.pk, sender=room.owner, body="a\x00b")
    settings.MAX_MESSAGE_FILES = 1
    files = [SimpleUploadedFile(f"{i}.txt", b"notes") for i in range(2)]
    with pytest.raises(InvalidInput):
        services.message_post(conversation_id=room.contract.pk, sender=room.owner, body="", files=files)


def test_thirty_messages_a_minute_then_a_429(room, settings):
    settings.MESSAGES_PER_MINUTE = 3
    for n in range(3):
        services.message_post(conversation_id=room.contract.pk, sender=room.owner, body=f"m{n}")
    with pytest.raises(DomainError) as refused:
        services.message_post(conversation_id=room.contract.pk, sender=room.owner, body="one too many")
    assert refused.value.code == "message_rate_limited" and refused.value.status == 429


@pytest.mark.parametrize(
    "text",
    [
        "mail me: jane.doe@gmail.com",
        "I am jane at gmail dot com",
        "jane (at) outlook (dot) com",
        "jane[at]proton[dot]me",
        "call +44 20 7946 0958",
        "my number is 0 7 9 4 6 1 2 3 4 5 6",
        "(415) 555-0132 any time",
        "nine one seven five five five zero one three two",
        "whatsapp me at wa.me/447946095800",
        "ping me on t.me/janedoe",
        "pay me on PayPal instead",
        "send it to my venmo",
        "cash app me $janedoe",
    ],
)
def test_off_platform_contact_is_recognised_in_real_world_spellings(text):
    assert off_platform_contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "The budget is $1,500 and the deadline is 2026-12-01.",
        "Look at the mockups, then we talk at noon.",
        "I have 12 years of experience and 300 reviews.",
        "Ship it by Friday, version 2.0.1 please.",
    ],
)
def test_ordinary_messages_pass(text):
    assert off_platform_contact(text) is None


def test_contact_details_are_held_back_until_a_contract_exists_and_the_sender_is_told_why(room, settings):
    other = services.conversation_open(
        reference="proposal:3003", title="Another job", organization_id=room.organization.pk, freelancer=UserFactory()
    )
    held = services.message_post(conversation_id=other.pk, sender=other.freelancer, body="jane at gmail dot com")
    assert held.status == Message.Status.HELD
    assert held.held_reason == "an e-mail address" and "escrow and dispute protection" in held.held_explanation
    assert list(selectors.messages_of(conversation=other, user=room.owner)) == []
    assert list(selectors.messages_of(conversation=other, user=other.freelancer)) == [held]
    assert not Notification.objects.filter(user=room.owner, kind="new_message").exists()
    # The proposal's freelancer already has a contract with this organization: contact details flow freely.
    sent = services.message_post(conversation_id=room.proposal.pk, sender=room.freelancer, body="+44 20 7946 0958")
    assert sent.status == Message.Status.VISIBLE


def test_direct_conversations_only_between_people_who_share_work(room):
    direct = services.direct_conversation_open(user=room.freelancer, other_id=room.finance.pk)
    assert direct.kind == Conversation.Kind.DIRECT
    assert services.direct_conversation_open(user=room.finance, other_id=room.freelancer.pk).pk == direct.pk
    with pytest.raises(NotFound):
        services.direct_conversation_open(user=room.outsider, other_id=room.freelancer.pk)
    assert not selectors.may_read(room.owner, direct.pk)
    # They have a contract, so nothing is held back between them.
    message = services.message_post(conversation_id=direct.pk, sender=room.freelancer, body="jane@example.com")
    assert message.status == Message.Status.VISIBLE


def test_staff_removal_with_an_audit_row(room):
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="rude words")
    staff = UserFactory(is_staff=True)
    for not_moderators in (room.owner, staff):  # staff need the moderation permission too
        with pytest.raises(PermissionDenied):
            services.message_remove(message_id=message.pk, staff=not_moderators, reason="no")
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="kernel", codename="moderate"))
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh user: permissions are cached on the instance
    services.message_remove(message_id=message.pk, staff=staff, reason="Abusive language")
    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.action, entry.target, entry.reason) == (
        staff.pk,
        "message_removed",
        f"message:{message.pk}",
        "Abusive language",
    )
    assert Notification.objects.filter(user=room.freelancer, kind="message_removed").exists()
    with pytest.raises(ValueError):
        entry.save()


def test_text_is_escaped_and_links_are_made_safe():
    html = message_html("<script>alert(1)</script> see https://example.com/a?b=1 or javascript:alert(1)\nbye")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://example.com/a?b=1" rel="nofollow noopener noreferrer ugc">' in html
    assert 'href="javascript' not in html and "<br>" in html


def test_pages_show_the_conversation_and_hide_it_from_outsiders(client, room):
    services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="Hello <b>there</b>")
    url = reverse("messaging:conversation", args=[room.contract.pk])
    client.force_login(room.outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("messaging:conversation_messages", args=[room.contract.pk])).status_code == 404
    huge = 10**25
    for path in (f"/conversations/{huge}/", f"/notifications/{huge}/open/", f"/conversations/about/contract/{huge}/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/conversations/direct/{huge}/").status_code == 404
    assert client.post(f"/conversations/{room.contract.pk}/messages/{huge}/report/", {"reason": "x"}).status_code == 404
    client.force_login(room.owner)
    page = client.get(url)
    assert page.status_code == 200 and b"Hello &lt;b&gt;there&lt;/b&gt;" in page.content
    assert b'data-socket-path="/ws/conversations/' in page.content
    response = client.post(url, {"body": "Looks good"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "message-sent"
    first = Message.objects.filter(conversation=room.contract).first()
    tail = client.get(reverse("messaging:conversation_messages", args=[room.contract.pk]), {"after": first.pk})
    assert b"Looks good" in tail.content and b"Hello" not in tail.content
    inbox = client.get(reverse("messaging:conversations"), {"q": "looks"})
    assert b"Landing page" in inbox.content


def test_attachments_are_served_only_to_readers_as_downloads(client, room):
    upload = SimpleUploadedFile("brief.txt", b"the plan", content_type="text/html")
    message = services.message_post(conversation_id=room.contract.pk, sender=room.owner, body="", files=[upload])
    attachment = message.attachments.get()
    assert attachment.content_type == "text/plain"
    url = file_url(attachment)
    client.force_login(room.outsider)
    assert client.get(url).status_code == 404
    client.force_login(room.freelancer)
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"the plan"


def test_the_api_scopes_conversations_messages_and_read_state(room):
    api = APIClient()
    api.force_authenticate(room.outsider)
    assert api.get("/api/v1/conversations/").json()["results"] == []
    for path in (f"/api/v1/conversations/{room.contract.pk}/messages/", f"/api/v1/conversations/{room.contract.pk}/"):
        assert api.get(path).status_code == 404
    assert api.post(f"/api/v1/conversations/{room.contract.pk}/messages/", {"body": "x"}).status_code == 404
    assert api.post(f"/api/v1/conversations/{room.contract.pk}/read/").status_code == 404
    assert api.get("/api/v1/conversations/abc/messages/").status_code == 404
    assert api.get("/api/v1/conversations/99999999999999999999999/messages/").status_code == 404
    api.force_authenticate(room.hiring)
    listed = {c["id"]: c for c in api.get("/api/v1/conversations/").json()["results"]}
    assert listed[room.contract.pk]["contract"] == 1001 and listed[room.contract.pk]["proposal"] is None
    assert listed[room.proposal.pk]["proposal"] == 2002 and listed[room.proposal.pk]["title"].startswith("Proposal")
    created = api.post(f"/api/v1/conversations/{room.contract.pk}/messages/", {"body": "Hello"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "visible"
    api.force_authenticate(room.freelancer)
    assert api.get("/api/v1/conversations/").json()["results"][0]["unread"] == 1
    assert api.post(f"/api/v1/conversations/{room.contract.pk}/read/").status_code == 204
    assert api.get("/api/v1/conversations/").json()["results"][0]["unread"] == 0
    direct = api.post("/api/v1/conversations/direct/", {"user": room.hiring.pk}, format="json")
    assert direct.status_code == 201 and direct.json()["kind"] == "direct"
    assert api.post("/api/v1/conversations/direct/", {"user": room.outsider.pk}, format="json").status_code == 404
    assert api.post("/api/v1/conversations/direct/", {"user": "x"}, format="json").status_code == 400


def test_the_api_sends_files_and_says_when_a_message_was_held(room):
    other = services.conversation_open(
        reference="proposal:4004", title="Fresh", organization_id=room.organization.pk, freelancer=UserFactory()
    )
    api = APIClient()
    api.force_authenticate(other.freelancer)
    upload = SimpleUploadedFile("cv.txt", b"ten years")
    response = api.post(
        f"/api/v1/conversations/{other.pk}/messages/", {"body": "venmo me", "files": [upload]}, format="multipart"
    )
    body = response.json()
    assert response.status_code == 201 and body["status"] == "held" and "escrow" in body["held_reason"]
    assert body["attachments"][0]["name"] == "cv.txt"


def test_staff_see_held_messages_and_remove_through_the_admin(client, room):
    message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="spam spam")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:messaging_message_changelist"), {"status__exact": "held"}).status_code == 200
    assert client.get(reverse("admin:kernel_auditentry_changelist")).status_code == 200
    changelist = reverse("admin:messaging_message_changelist")
    form = {"action": "remove_messages", "_selected_action": [message.pk]}
    assert b"The sender sees this reason" in client.post(changelist, form).content
    client.post(changelist, {**form, "apply": "1", "reason": "Spam"})
    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED and AuditEntry.objects.filter(action="message_removed").exists()
    entry = AuditEntry.objects.get()
    assert client.get(reverse("admin:kernel_auditentry_change", args=[entry.pk])).status_code == 200
    assert client.post(reverse("admin:kernel_auditentry_delete", args=[entry.pk])).status_code == 403


def test_the_contract_page_links_to_its_conversation_and_a_submitted_proposal_has_one(client, room):
    job = JobFactory(organization=room.organization, created_by=room.hiring)
    author = FreelancerProfileFactory().user
    proposal = proposal_submit(
        user=author, job_id=job.pk, cover_letter="Hello", estimated_duration="1_3m", rate_cents=5000
    )
    conversation = Conversation.objects.get(reference=f"proposal:{proposal.pk}")
    assert selectors.may_read(author, conversation.pk) and selectors.may_read(room.hiring, conversation.pk)
    assert not selectors.may_read(room.finance, conversation.pk)
    api = APIClient()
    api.force_authenticate(author)
    assert api.get("/api/v1/conversations/").json()["results"][0]["proposal"] == proposal.pk

    offer = OfferFactory(organization=room.organization, freelancer=author, status="pending", created_by=room.owner)
    contract = offers.offer_accept(actor=author, offer_id=offer.pk)
    client.force_login(room.finance)
    page = client.get(reverse("contracts:contract_detail", args=[contract.pk]))
    link = reverse("messaging:about", args=["contract", contract.pk])
    assert link.encode() in page.content
    assert client.get(link).url == reverse(
        "messaging:conversation", args=[Conversation.objects.get(reference=f"contract:{contract.pk}").pk]
    )
    client.force_login(room.outsider)
    assert client.get(link).status_code == 404
    assert client.get(reverse("messaging:about", args=["job", 1])).status_code == 404


def test_the_inbox_costs_the_same_number_of_queries_for_2_or_12_conversations(client, room, settings):
    settings.MESSAGES_PER_MINUTE = 100
    client.force_login(room.owner)
    counts = []
    for total in (2, 12):
        while Conversation.objects.count() < total:
            n = Conversation.objects.count()
            extra = services.conversation_open(
                reference=f"contract:{5000 + n}",
                title=f"C{n}",
                organization_id=room.organization.pk,
                freelancer=room.freelancer,
            )
            services.message_post(conversation_id=extra.pk, sender=room.freelancer, body=f"hello {n}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("messaging:conversations")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
