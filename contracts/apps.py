from django.apps import AppConfig


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"

    def ready(self):
        # The payment saga finishes milestones, timesheets and bonuses through what these modules register: load
        # them in every process (web, worker, management commands) before any payment can settle.
        from contracts.services import billing, bonuses, milestones  # noqa: F401
