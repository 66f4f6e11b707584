from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("payments/wallet/", views.wallet, name="wallet"),
    path("payments/wallet/transactions.csv", views.wallet_csv, name="wallet_csv"),
    path("payments/payout-methods/", views.payout_methods, name="payout_methods"),
    path(
        "payments/payout-methods/<int:method_id>/<str:action>/",
        views.payout_method_action,
        name="payout_method_action",
    ),
    path("payments/organizations/", views.organizations, name="organizations"),
    path("payments/organizations/<int:organization_id>/", views.organization_money, name="organization"),
    path(
        "payments/organizations/<int:organization_id>/transactions.csv",
        views.organization_csv,
        name="organization_csv",
    ),
    path(
        "payments/organizations/<int:organization_id>/receipts/<int:entry_id>/",
        views.receipt,
        name="receipt",
    ),
    path(
        "payments/organizations/<int:organization_id>/payment-methods/",
        views.payment_methods_page,
        name="payment_methods",
    ),
    path(
        "payments/organizations/<int:organization_id>/payment-methods/<int:method_id>/<str:action>/",
        views.payment_method_action,
        name="payment_method_action",
    ),
    path("payments/staff/", views.staff_dashboard, name="staff_dashboard"),
    path("payments/webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
