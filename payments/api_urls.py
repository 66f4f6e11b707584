from django.urls import path

from payments import api

urlpatterns = [
    path("wallet/", api.WalletView.as_view(), name="api-wallet"),
    path("transactions/", api.TransactionListView.as_view(), name="api-transactions"),
    path("transactions/csv/", api.TransactionCsvView.as_view(), name="api-transactions-csv"),
    path(
        "organizations/<int:organization_id>/transactions/",
        api.OrganizationTransactionListView.as_view(),
        name="api-organization-transactions",
    ),
    path(
        "organizations/<int:organization_id>/transactions/csv/",
        api.OrganizationTransactionCsvView.as_view(),
        name="api-organization-transactions-csv",
    ),
    path(
        "organizations/<int:organization_id>/escrow/",
        api.OrganizationEscrowListView.as_view(),
        name="api-organization-escrow",
    ),
    path("payouts/", api.PayoutListCreateView.as_view(), name="api-payouts"),
    path("payouts/<int:pk>/", api.PayoutDetailView.as_view(), name="api-payout"),
    path("payout-methods/", api.PayoutMethodListCreateView.as_view(), name="api-payout-methods"),
    path("payout-methods/<int:pk>/", api.PayoutMethodDetailView.as_view(), name="api-payout-method"),
    path("payout-methods/<int:pk>/default/", api.PayoutMethodDefaultView.as_view(), name="api-payout-method-default"),
    path("payment-methods/", api.PaymentMethodListCreateView.as_view(), name="api-payment-methods"),
    path("payment-methods/<int:pk>/", api.PaymentMethodDetailView.as_view(), name="api-payment-method"),
    path(
        "payment-methods/<int:pk>/default/", api.PaymentMethodDefaultView.as_view(), name="api-payment-method-default"
    ),
]
