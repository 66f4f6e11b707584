"""Issue 14, low item: two owners demoting each other at the same moment must not deadlock."""

import contextlib
import threading

import pytest

from accounts.models import Membership, Role
from accounts.services import organizations
from tests.concurrency.helpers import race
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_owners_demoting_each_other_do_not_deadlock(monkeypatch):
    organization = OrganizationFactory()
    first, second = (MembershipFactory(organization=organization, role=Role.OWNER) for _ in range(2))
    # Both requests reach their permission check together: any lock each took before it is held by then.
    both_checked = threading.Barrier(2, timeout=2)
    check = organizations.require_access

    def check_together(**kwargs):
        # The other request may be waiting on a lock this one holds: then go on without it.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        check(**kwargs)

    monkeypatch.setattr(organizations, "require_access", check_together)

    def demote(actor: Membership, target: Membership):
        return lambda: organizations.member_change_role(
            actor=actor.user, organization_id=organization.pk, membership_id=target.pk, role=Role.MEMBER
        )

    results = race(demote(first, second), demote(second, first))
    assert sorted(type(r).__name__ for r in results) == ["Membership", "PermissionDenied"], results
    assert Membership.objects.filter(organization=organization, role=Role.OWNER).count() == 1
