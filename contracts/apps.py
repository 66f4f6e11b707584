from django.apps import AppConfig


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"

    def ready(self):
        from contracts import selectors
        from contracts.models import SubmissionFile
        from kernel import files

        files.register(SubmissionFile, readable=selectors.submission_files_readable_by)
