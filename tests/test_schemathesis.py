"""schemathesis against /api/schema/: every operation, called as a client organization's owner and as a freelancer
with generated input, valid and not: no server error, and every response as the schema documents it.

In-process over WSGI (the test database, no server to start); a fixed seed and a bounded number of examples per
operation keep it to about a minute. ENVIRONMENT.md: `--max-examples` alone does not cap the requests."""

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from accounts.models import Role
from tests.factories import FreelancerProfileFactory, JobFactory, MembershipFactory, ProposalFactory

# Business rules refuse schema-valid input (a wrong password, a milestone in the wrong state) with a documented 400
# or 409, so "positive data acceptance" is left out; everything about the responses themselves is checked.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
EXAMPLES_PER_OPERATION = 6
BUDGET_SECONDS = 120


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, kept on the test's connection (Django's test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield get_wsgi_application()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def parties(db):
    """A client organization's owner and a freelancer, each with a token, and a job with a proposal between them."""
    owner = MembershipFactory(role=Role.OWNER)
    profile = FreelancerProfileFactory()
    ProposalFactory(job=JobFactory(organization=owner.organization), freelancer=profile)
    return {
        "client": Token.objects.create(user=owner.user).key,
        "freelancer": Token.objects.create(user=profile.user).key,
    }


def _run_operation(operation, token: str, failures: list) -> None:
    @seed(1)
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        response = case.call(headers={"Authorization": f"Token {token}"})
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (AssertionError, BaseExceptionGroup) as exc:  # every operation runs; the failures are reported together
        failures.append(f"{operation.label}: {exc}")


@pytest.mark.django_db(transaction=False)
def test_no_server_errors_and_responses_match_the_schema(parties, wsgi_app, settings):
    settings.ALLOWED_HOSTS = ["*"]
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    failures: list = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        for token in parties.values():
            _run_operation(operation, token, failures)
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
    assert elapsed < BUDGET_SECONDS, f"schemathesis took {elapsed:.0f} s"
