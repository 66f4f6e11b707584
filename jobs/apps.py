from django.apps import AppConfig


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"

    def ready(self):
        # Each service module registers who may make which status change (kernel.transitions.register_actors).
        from jobs.services import invitations, jobs, proposals  # noqa: F401
