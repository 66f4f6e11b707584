from django.apps import AppConfig


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"

    def ready(self):
        # Each service module registers who may make which status change (kernel.transitions.register_actors).
        from contracts.services import offers  # noqa: F401
