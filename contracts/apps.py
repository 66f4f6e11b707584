from django.apps import AppConfig


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"

    def ready(self):
        # Service modules register who may make which status change (kernel.transitions.register_actors) and how
        # the payment saga finishes their payments: load them in every process (web, worker, management commands).
        from contracts import selectors, selectors_disputes
        from contracts.models import EvidenceFile, SubmissionFile
        from contracts.services import billing, bonuses, contracts, disputes, milestones, offers  # noqa: F401
        from kernel import files

        files.register(SubmissionFile, readable=selectors.submission_files_readable_by)
        files.register(EvidenceFile, readable=selectors_disputes.evidence_files_readable_by)
