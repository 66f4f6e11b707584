from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self):
        # Payouts register their transfer settlement with the saga: loaded in every process.
        from payments.services import payouts  # noqa: F401
