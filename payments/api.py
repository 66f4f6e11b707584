"""/api/v1/ for payments: wallet, transactions (+ CSV), payouts (Idempotency-Key), payment methods, an
organization's money. The same services and selectors as the pages; errors are JSON {code, detail}."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import OrgPerm
from kernel.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotency_key_from_request
from kernel.money import CentsField
from payments import selectors
from payments.exports import organization_transactions_csv, user_transactions_csv
from payments.models import HoldLot, JournalEntry, LedgerAccount, PaymentMethod, Payout, PayoutMethod, Posting
from payments.services import payment_methods, payouts

ERROR = inline_serializer("PaymentsError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})
NOT_FOUND = OpenApiResponse(ERROR, description="Not found, or not yours.")
CONFLICT = OpenApiResponse(ERROR, description="A rule refused it (the code says which).")
BAD_INPUT = OpenApiResponse(ERROR, description="Invalid input.")
CSV = OpenApiResponse(OpenApiTypes.STR, description="text/csv download")


class HoldLotSerializer(serializers.ModelSerializer):
    class Meta:
        model = HoldLot
        fields = ["id", "amount_cents", "currency", "available_at"]


class WalletSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending_cents = serializers.IntegerField()
    available_cents = serializers.IntegerField()
    withdrawn_cents = serializers.IntegerField()
    lots = HoldLotSerializer(many=True)


class TransactionSerializer(serializers.ModelSerializer):
    entry_id = serializers.IntegerField(source="entry.pk")
    kind = serializers.CharField(source="entry.kind")
    account = serializers.CharField(source="account.kind")
    currency = serializers.CharField(source="account.currency")
    reference = serializers.CharField(source="entry.reference")
    memo = serializers.CharField(source="entry.memo")
    created_at = serializers.DateTimeField(source="entry.created_at")

    class Meta:
        model = Posting
        fields = ["id", "entry_id", "created_at", "kind", "account", "amount_cents", "currency", "reference", "memo"]


class OrganizationTransactionSerializer(serializers.ModelSerializer):
    card_amount_cents = serializers.IntegerField(source="client_amount_cents")
    escrow_amount_cents = serializers.IntegerField()

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "created_at",
            "kind",
            "card_amount_cents",
            "escrow_amount_cents",
            "currency",
            "reference",
            "memo",
        ]


class EscrowSerializer(serializers.ModelSerializer):
    funded_cents = serializers.IntegerField()

    class Meta:
        model = LedgerAccount
        fields = ["reference", "currency", "balance_cents", "funded_cents"]


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = ["id", "amount_cents", "currency", "status", "destination_label", "failure_reason", "created_at"]


class PayoutRequestSerializer(serializers.Serializer):
    amount_cents = CentsField()
    currency = serializers.CharField(max_length=3, default="USD")


class PaymentMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentMethod
        fields = ["id", "organization", "brand", "last4", "exp_month", "exp_year", "is_default", "created_at"]


class PaymentMethodCreateSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1, max_value=selectors.MAX_ID)
    token = serializers.CharField(
        max_length=255,
        required=False,
        help_text="A Stripe payment method id (pm_...) from Stripe.js. With the sandbox gateway, send the card "
        "fields instead.",
    )
    card_number = serializers.CharField(max_length=23, required=False, write_only=True)
    exp_month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    cvc = serializers.CharField(max_length=4, required=False, write_only=True)

    def validate(self, attrs):
        card = ("card_number", "exp_month", "exp_year", "cvc")
        if not attrs.get("token") and not all(attrs.get(f) for f in card):
            raise serializers.ValidationError("Send a token, or (sandbox) card_number, exp_month, exp_year and cvc.")
        return attrs


class PayoutMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayoutMethod
        fields = ["id", "kind", "label", "last4", "verified", "is_default", "created_at"]


class PayoutMethodCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PayoutMethod.Kind.choices)
    holder_name = serializers.CharField(max_length=80, required=False, default="", help_text="Sandbox bank account.")
    account_last4 = serializers.CharField(max_length=4, required=False, help_text="Sandbox bank account.")
    account_id = serializers.CharField(max_length=255, required=False, help_text="Stripe connected account (acct_...).")

    def validate(self, attrs):
        needed = "account_last4" if attrs["kind"] == PayoutMethod.Kind.SANDBOX_BANK else "account_id"
        if not attrs.get(needed):
            raise serializers.ValidationError({needed: "This field is required for that kind."})
        return attrs


ORGANIZATION_PARAM = OpenApiParameter("organization", OpenApiTypes.INT, required=True, description="Organization id")


class WalletView(APIView):
    @extend_schema(responses={200: WalletSerializer}, summary="The caller's pending, available and withdrawn money")
    def get(self, request):
        return Response(WalletSerializer(selectors.wallet_for(request.user)).data)


class TransactionListView(generics.ListAPIView):
    serializer_class = TransactionSerializer

    queryset = Posting.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.transactions_for(self.request.user)


class TransactionCsvView(APIView):
    @extend_schema(responses={(200, "text/csv"): CSV}, summary="The caller's transactions as CSV")
    def get(self, request):
        return _csv(user_transactions_csv(request.user), "transactions.csv")


def _csv(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class OrganizationTransactionListView(generics.ListAPIView):
    serializer_class = OrganizationTransactionSerializer
    queryset = JournalEntry.objects.none()  # for the schema; requests use get_queryset

    @extend_schema(responses={200: OrganizationTransactionSerializer(many=True), 404: NOT_FOUND})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        organization = selectors.organization_for(self.request.user, self.kwargs["organization_id"])
        return selectors.organization_transactions(organization)


class OrganizationTransactionCsvView(APIView):
    @extend_schema(responses={(200, "text/csv"): CSV, 404: NOT_FOUND}, summary="An organization's charges as CSV")
    def get(self, request, organization_id: int):
        organization = selectors.organization_for(request.user, organization_id)
        return _csv(organization_transactions_csv(organization), f"organization-{organization.pk}-transactions.csv")


class OrganizationEscrowListView(generics.ListAPIView):
    serializer_class = EscrowSerializer
    pagination_class = None
    queryset = LedgerAccount.objects.none()  # for the schema; requests use get_queryset

    @extend_schema(responses={200: EscrowSerializer(many=True), 404: NOT_FOUND}, summary="Escrow per contract")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        organization = selectors.organization_for(self.request.user, self.kwargs["organization_id"])
        return selectors.organization_escrows(organization)


class PayoutListCreateView(generics.ListAPIView):
    serializer_class = PayoutSerializer
    queryset = Payout.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.payouts_of(self.request.user)

    @extend_schema(
        request=PayoutRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: PayoutSerializer, 400: BAD_INPUT, 409: CONFLICT},
        summary="Withdraw available money to the default verified payout method",
    )
    def post(self, request):
        key = idempotency_key_from_request(request, action="payout")
        data = PayoutRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payout = payouts.payout_request(user=request.user, idempotency_key=key, **data.validated_data)
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


class PayoutDetailView(APIView):
    @extend_schema(responses={200: PayoutSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        return Response(PayoutSerializer(selectors.payout_of(request.user, pk)).data)


class PaymentMethodListCreateView(generics.ListAPIView):
    serializer_class = PaymentMethodSerializer
    queryset = PaymentMethod.objects.none()  # for the schema; requests use get_queryset

    @extend_schema(parameters=[ORGANIZATION_PARAM], responses={200: PaymentMethodSerializer(many=True), 404: NOT_FOUND})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        organization_id = self.request.query_params.get("organization", "")
        if not organization_id.isdigit():
            return PaymentMethod.objects.none()
        organization = selectors.organization_for(
            self.request.user, int(organization_id), OrgPerm.MANAGE_PAYMENT_METHODS
        )
        return selectors.payment_methods_of(organization)

    @extend_schema(
        request=PaymentMethodCreateSerializer,
        responses={201: PaymentMethodSerializer, 400: BAD_INPUT, 404: NOT_FOUND, 409: CONFLICT},
        summary="Save a card on an organization (the first becomes the default)",
    )
    def post(self, request):
        data = PaymentMethodCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organization = selectors.organization_for(request.user, values["organization"], OrgPerm.MANAGE_PAYMENT_METHODS)
        token = values.get("token")
        if not token:
            token = payment_methods.sandbox_card_token(
                number=values["card_number"],
                exp_month=values["exp_month"],
                exp_year=values["exp_year"],
                cvc=values["cvc"],
            )
        method = payment_methods.payment_method_add(actor=request.user, organization=organization, token=token)
        return Response(PaymentMethodSerializer(method).data, status=status.HTTP_201_CREATED)


def _method_organization(request, pk: int):
    return selectors.payment_method_organization(request.user, pk, OrgPerm.MANAGE_PAYMENT_METHODS)


class PaymentMethodDetailView(APIView):
    @extend_schema(responses={204: None, 404: NOT_FOUND}, summary="Remove a saved card")
    def delete(self, request, pk: int):
        organization = _method_organization(request, pk)
        payment_methods.payment_method_remove(actor=request.user, organization=organization, payment_method_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaymentMethodDefaultView(APIView):
    @extend_schema(
        request=None, responses={200: PaymentMethodSerializer, 404: NOT_FOUND}, summary="Make a card the default"
    )
    def post(self, request, pk: int):
        organization = _method_organization(request, pk)
        method = payment_methods.payment_method_set_default(
            actor=request.user, organization=organization, payment_method_id=pk
        )
        return Response(PaymentMethodSerializer(method).data)


class PayoutMethodListCreateView(generics.ListAPIView):
    """The freelancer's own payout methods; money is withdrawn only to a verified one."""

    serializer_class = PayoutMethodSerializer
    pagination_class = None
    queryset = PayoutMethod.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.payout_methods_of(self.request.user)

    @extend_schema(
        request=PayoutMethodCreateSerializer,
        responses={201: PayoutMethodSerializer, 400: BAD_INPUT},
        summary="Add a payout method (the first becomes the default)",
    )
    def post(self, request):
        data = PayoutMethodCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["kind"] == PayoutMethod.Kind.SANDBOX_BANK:
            method = payouts.payout_method_add_sandbox_bank(
                user=request.user, holder_name=values["holder_name"], account_last4=values["account_last4"]
            )
        else:
            method = payouts.payout_method_add_stripe_account(user=request.user, account_id=values["account_id"])
        return Response(PayoutMethodSerializer(method).data, status=status.HTTP_201_CREATED)


class PayoutMethodDetailView(APIView):
    @extend_schema(responses={204: None, 404: NOT_FOUND}, summary="Remove a payout method")
    def delete(self, request, pk: int):
        payouts.payout_method_remove(user=request.user, payout_method_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PayoutMethodDefaultView(APIView):
    @extend_schema(request=None, responses={200: PayoutMethodSerializer, 404: NOT_FOUND}, summary="Make it the default")
    def post(self, request, pk: int):
        method = payouts.payout_method_set_default(user=request.user, payout_method_id=pk)
        return Response(PayoutMethodSerializer(method).data)
