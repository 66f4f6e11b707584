"""GIN indexes for search: PostgreSQL only, so the embedded SQLite default still migrates."""

from django.db import migrations

INDEXES = [
    ("job_search_vector_gin", "jobs_job", "search_vector"),
    ("job_skill_ids_gin", "jobs_job", "skill_ids"),
    ("talent_search_vector_gin", "jobs_talentindex", "search_vector"),
    ("talent_skill_ids_gin", "jobs_talentindex", "skill_ids"),
    ("talent_language_codes_gin", "jobs_talentindex", "language_codes"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
