"""A column of skill ids that is fast on PostgreSQL and still migrates on the embedded SQLite default."""

import json

from django.contrib.postgres.fields import ArrayField
from django.db import models


class IntIdsField(ArrayField):
    """`integer[]` on PostgreSQL (GIN-indexed, filtered with `@>` through `__contains`); JSON text elsewhere.

    The SQLite search path never filters on this column (it joins the many-to-many table instead), so the text
    form only has to round-trip the list; one migration serves both databases.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("base_field", models.IntegerField())
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return super().db_type(connection)
        return "text"

    def cast_db_type(self, connection):
        if connection.vendor == "postgresql":
            return super().cast_db_type(connection)
        return "text"

    def get_placeholder(self, value, compiler, connection):
        if connection.vendor == "postgresql":
            return super().get_placeholder(value, compiler, connection)
        return "%s"

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor == "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        return None if value is None else json.dumps([int(v) for v in value])

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str):
            return json.loads(value)
        return value
