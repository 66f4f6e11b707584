import datetime as dt

import pytest

from accounts.models import Role
from jobs.models import Job
from jobs.services.jobs import JobFields
from tests.factories import FreelancerProfileFactory, MembershipFactory, OrganizationFactory, SkillFactory


@pytest.fixture
def python_skill(db):
    return SkillFactory(name="Python")


@pytest.fixture
def organization(db):
    return OrganizationFactory(timezone="America/New_York")


@pytest.fixture
def owner(organization):
    return MembershipFactory(organization=organization, role=Role.OWNER).user


@pytest.fixture
def member(organization):
    """A plain member: may view the organization's jobs and proposals, not post or hire."""
    return MembershipFactory(organization=organization, role=Role.MEMBER).user


@pytest.fixture
def other_client(db):
    return MembershipFactory(role=Role.OWNER).user


@pytest.fixture
def freelancer(db):
    return FreelancerProfileFactory(timezone="Europe/Lisbon").user


@pytest.fixture
def other_freelancer(db):
    return FreelancerProfileFactory().user


def job_fields(skills, **overrides) -> JobFields:
    values = {
        "title": "Django developer for a booking app",
        "description": "Build and test the booking flow.",
        "skill_ids": [s.pk for s in skills],
        "category": "development",
        "budget_type": Job.BudgetType.HOURLY,
        "rate_min_cents": 3000,
        "rate_max_cents": 6000,
        "duration": "1_3m",
        "experience_level": "intermediate",
        "work_start": dt.time(9, 0),
        "work_end": dt.time(17, 0),
        "overlap_hours": 2,
    }
    values.update(overrides)
    return JobFields(**values)
