from django.apps import AppConfig


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"

    def ready(self):
        # Each service module registers who may make which status change (kernel.transitions.register_actors).
        from jobs import selectors
        from jobs.models import JobAttachment, ProposalAttachment
        from jobs.services import invitations, jobs, proposals  # noqa: F401
        from kernel import files

        files.register(JobAttachment, readable=selectors.job_attachments_readable_by)
        files.register(ProposalAttachment, readable=selectors.proposal_attachments_readable_by)
