from django.apps import AppConfig


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"

    def ready(self):
        # The payment saga finishes milestones through what this module registers: load it in every process
        # (web, worker, management commands) before any payment can settle.
        from contracts.services import milestones  # noqa: F401
