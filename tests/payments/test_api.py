import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from kernel.errors import InvalidInput
from payments.models import PaymentMethod, Payout
from payments.services import payment_methods
from tests.factories import MembershipFactory, PaymentMethodFactory, PayoutMethodFactory
from tests.payments.helpers import make_available


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def rich(organization, card, freelancer, payout_method):
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="api")
    return freelancer


def test_anonymous_callers_are_refused(db):
    for url in ("/api/v1/wallet/", "/api/v1/transactions/", "/api/v1/payouts/", "/api/v1/payment-methods/"):
        assert api().get(url).status_code == 401


def test_wallet_shows_the_callers_money_only(rich, other_user):
    body = api(rich).get("/api/v1/wallet/").json()
    assert body["available_cents"] >= 5_000 and body["pending_cents"] == 0 and body["currency"] == "USD"
    assert api(other_user).get("/api/v1/wallet/").json()["available_cents"] == 0


def test_transactions_list_and_csv_are_the_callers(rich, other_user):
    body = api(rich).get("/api/v1/transactions/").json()
    kinds = {row["kind"] for row in body["results"]}
    assert kinds == {"escrow_release", "hold_matured"}
    assert api(other_user).get("/api/v1/transactions/").json()["results"] == []
    response = api(rich).get("/api/v1/transactions/csv/")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].startswith("date,entry,kind")
    assert len(response.content.decode().splitlines()) == 4


def test_payout_post_needs_an_idempotency_key(rich):
    response = api(rich).post("/api/v1/payouts/", {"amount_cents": 2_000}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"


def test_payout_repeat_returns_the_same_and_a_different_body_is_409(rich):
    client = api(rich)
    first = client.post("/api/v1/payouts/", {"amount_cents": 2_000}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = client.post("/api/v1/payouts/", {"amount_cents": 2_000}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201 and first.json()["status"] == "paid"
    assert again.json()["id"] == first.json()["id"]
    conflict = client.post("/api/v1/payouts/", {"amount_cents": 2_100}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    assert Payout.objects.count() == 1
    assert [p["id"] for p in client.get("/api/v1/payouts/").json()["results"]] == [first.json()["id"]]


def test_payout_rules_answer_409_with_their_codes(rich):
    client = api(rich)
    too_small = client.post("/api/v1/payouts/", {"amount_cents": 999}, format="json", HTTP_IDEMPOTENCY_KEY="1")
    too_big = client.post("/api/v1/payouts/", {"amount_cents": 10**7}, format="json", HTTP_IDEMPOTENCY_KEY="2")
    assert (too_small.status_code, too_small.json()["code"]) == (409, "below_minimum")
    assert (too_big.status_code, too_big.json()["code"]) == (409, "insufficient_funds")


def test_two_users_may_use_the_same_idempotency_key(rich, organization, card):
    other = MembershipFactory(organization=organization).user
    PayoutMethodFactory(user=other)
    make_available(organization=organization, freelancer=other, net_cents=5_000, tag="api2")
    for user in (rich, other):
        response = api(user).post("/api/v1/payouts/", {"amount_cents": 2_000}, format="json", HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 201
    assert Payout.objects.count() == 2


def test_another_users_payout_is_404(rich, other_user):
    payout = api(rich).post("/api/v1/payouts/", {"amount_cents": 2_000}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert api(other_user).get(f"/api/v1/payouts/{payout.json()['id']}/").status_code == 404
    assert api(rich).get(f"/api/v1/payouts/{payout.json()['id']}/").status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.OWNER, True), (Role.FINANCE, True), (Role.HIRING_MANAGER, False), (Role.MEMBER, False)]
)
def test_payment_methods_are_for_finance_roles(organization, role, allowed):
    user = MembershipFactory(organization=organization, role=role).user
    client = api(user)
    listing = client.get(f"/api/v1/payment-methods/?organization={organization.pk}")
    created = client.post(
        "/api/v1/payment-methods/",
        {
            "organization": organization.pk,
            "card_number": "4242 4242 4242 4242",
            "exp_month": 12,
            "exp_year": 2099,
            "cvc": "123",
        },
        format="json",
    )
    if allowed:
        assert listing.status_code == 200 and created.status_code == 201
        assert created.json()["last4"] == "4242" and created.json()["is_default"] is True
        assert "card_number" not in created.json()
    else:  # a member without the role sees the organization: 403, as in every app
        assert listing.status_code == 403 and created.status_code == 403
        assert not PaymentMethod.objects.exists()


def test_payment_method_default_and_remove(organization, owner, other_user):
    first = PaymentMethodFactory(organization=organization)
    second = PaymentMethodFactory(organization=organization, is_default=False, card_number="5555555555554444")
    client = api(owner)
    assert client.post(f"/api/v1/payment-methods/{second.pk}/default/").json()["is_default"] is True
    first.refresh_from_db()
    assert not first.is_default
    assert api(other_user).delete(f"/api/v1/payment-methods/{second.pk}/").status_code == 404
    assert client.delete(f"/api/v1/payment-methods/{second.pk}/").status_code == 204
    first.refresh_from_db()
    assert first.is_default


def test_bad_card_numbers_are_400(organization, owner):
    response = api(owner).post(
        "/api/v1/payment-methods/",
        {
            "organization": organization.pk,
            "card_number": "4242424242424241",
            "exp_month": 12,
            "exp_year": 2099,
            "cvc": "123",
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_card_number"


def test_organization_transactions_and_escrow_are_for_members(fund, organization, owner, other_user):
    fund(10_000)
    client = api(owner)
    rows = client.get(f"/api/v1/organizations/{organization.pk}/transactions/").json()["results"]
    assert [(r["kind"], r["card_amount_cents"], r["escrow_amount_cents"]) for r in rows] == [
        ("escrow_fund", 10_500, 10_000)
    ]
    escrows = client.get(f"/api/v1/organizations/{organization.pk}/escrow/").json()
    assert escrows == [{"reference": "contract:1", "currency": "USD", "balance_cents": 10_000, "funded_cents": 10_000}]
    csv_body = client.get(f"/api/v1/organizations/{organization.pk}/transactions/csv/").content.decode()
    assert "105.00" in csv_body and "100.00" in csv_body
    for url in ("transactions/", "escrow/", "transactions/csv/"):
        assert api(other_user).get(f"/api/v1/organizations/{organization.pk}/{url}").status_code == 404


@pytest.mark.parametrize("header", ["x" * 201, "clé-ünicode", "tab\there"])
def test_malformed_idempotency_keys_are_400(rich, header):
    response = api(rich).post("/api/v1/payouts/", {"amount_cents": 2_000}, format="json", HTTP_IDEMPOTENCY_KEY=header)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert not Payout.objects.exists()


def test_the_payment_verified_badge_follows_the_organizations_cards(organization, owner):
    token = payment_methods.sandbox_card_token(number="4242424242424242", exp_month=12, exp_year=2030, cvc="123")
    method = payment_methods.payment_method_add(actor=owner, organization=organization, token=token)
    organization.refresh_from_db()
    assert organization.payment_verified
    payment_methods.payment_method_remove(actor=owner, organization=organization, payment_method_id=method.pk)
    organization.refresh_from_db()
    assert not organization.payment_verified


def test_payout_methods_are_added_listed_and_removed_by_their_owner_only(freelancer, other_user):
    me = api(freelancer)
    added = me.post("/api/v1/payout-methods/", {"kind": "sandbox_bank", "holder_name": "Ana", "account_last4": "6789"})
    assert added.status_code == 201
    assert added.json()["verified"] is True and added.json()["is_default"] is True
    second = me.post("/api/v1/payout-methods/", {"kind": "sandbox_bank", "account_last4": "1111"}).json()
    assert [m["last4"] for m in me.get("/api/v1/payout-methods/").json()] == ["6789", "1111"]
    assert api(other_user).get("/api/v1/payout-methods/").json() == []
    assert api(other_user).delete(f"/api/v1/payout-methods/{second['id']}/").status_code == 404
    assert me.post(f"/api/v1/payout-methods/{second['id']}/default/").json()["is_default"] is True
    assert me.delete(f"/api/v1/payout-methods/{second['id']}/").status_code == 204
    assert [m["is_default"] for m in me.get("/api/v1/payout-methods/").json()] == [True]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "sandbox_bank"}, 400, "invalid"),
        ({"kind": "sandbox_bank", "account_last4": "12a4"}, 400, "invalid_account"),
        ({"kind": "stripe_connect", "account_id": "acct_123"}, 400, "not_supported"),
        ({"kind": "paypal", "account_last4": "1234"}, 400, "invalid"),
    ],
)
def test_bad_payout_methods_are_refused_with_a_code(freelancer, body, status, code):
    response = api(freelancer).post("/api/v1/payout-methods/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_an_expired_card_is_refused_through_the_api_as_on_the_page(organization, owner):
    response = api(owner).post(
        "/api/v1/payment-methods/",
        {
            "organization": organization.pk,
            "card_number": "4242424242424242",
            "exp_month": 1,
            "exp_year": 2001,
            "cvc": "123",
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "card_expired"
    assert not PaymentMethod.objects.exists()


def test_an_expired_card_from_the_gateway_is_refused_by_the_service(organization, owner):
    """Whatever collected it (Stripe.js hands us only a token), the service checks the expiry the gateway reports."""
    from payments.gateway.sandbox import SandboxGateway

    token = SandboxGateway().tokenize_card(number="4242424242424242", exp_month=1, exp_year=2001, cvc="123")
    with pytest.raises(InvalidInput) as exc:
        payment_methods.payment_method_add(actor=owner, organization=organization, token=token)
    assert exc.value.code == "card_expired"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/payouts/99999999999999999999/",
        "/api/v1/payment-methods/99999999999999999999/",
        "/api/v1/organizations/99999999999999999999/transactions/",
        "/api/v1/payment-methods/?organization=99999999999999999999",
        "/api/v1/payout-methods/99999999999999999999/",
        "/api/v1/payout-methods/99999999999999999999/default/",
    ],
)
def test_ids_past_the_databases_range_are_not_found(rich, url):
    client = api(rich)
    if url.endswith("/default/"):
        response = client.post(url)
    elif "-methods/9" in url:
        response = client.delete(url)
    else:
        response = client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("amount", [2**63, 2**80, "5000", "1_000", 5000.0])
def test_payout_amounts_are_json_integers_within_range(rich, amount):
    response = api(rich).post("/api/v1/payouts/", {"amount_cents": amount}, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert response.status_code == 400
    assert not Payout.objects.exists()


def test_the_organization_of_a_new_card_past_the_range_is_400(owner):
    response = api(owner).post(
        "/api/v1/payment-methods/",
        {"organization": 2**70, "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "123"},
        format="json",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "memo", ["=1+1", "+1", "-1", "@SUM(A1)", "|calc", "＝1+1", "＋1", "－1", "＠SUM", "｜calc", "\tx"]
)
def test_csv_cells_that_a_spreadsheet_would_run_stay_text(memo):
    from payments.exports import _safe

    assert _safe(memo) == f"'{memo}"
    assert _safe("Logo design") == "Logo design"
