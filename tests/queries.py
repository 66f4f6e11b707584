"""The query-count guard every app's list tests use: a page or endpoint runs exactly as many queries with 50 rows
as with 5 (no N+1), whatever that number is."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _queries(call: Callable[[], object]) -> list[str]:
    call()  # once first: what a process caches on its first request (content types, a user's roles) is not a row
    with CaptureQueriesContext(connection) as context:
        call()
    return [query["sql"] for query in context.captured_queries]


def assert_constant_queries(add_rows: Callable[[int], object], *calls: Callable[[], object]) -> None:
    """`add_rows(n)` adds n more rows; each call (one request, checking its own answer) must run the same number
    of queries after 5 rows as after 50."""
    add_rows(5)
    few = [_queries(call) for call in calls]
    add_rows(45)
    many = [_queries(call) for call in calls]
    for i, (at_5, at_50) in enumerate(zip(few, many, strict=True)):
        extra = "\n".join(at_50[len(at_5) :]) if len(at_50) > len(at_5) else ""
        assert len(at_5) == len(at_50), f"call {i}: {len(at_5)} queries at 5 rows, {len(at_50)} at 50\n{extra}"
