from django.apps import AppConfig


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"

    def ready(self):
        # Each service module registers who may make which status change (kernel.transitions.register_actors).
        from contracts import selectors
        from contracts.models import SubmissionFile
        from contracts.services import offers  # noqa: F401
        from kernel import files

        files.register(SubmissionFile, readable=selectors.submission_files_readable_by)
