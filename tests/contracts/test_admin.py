import pytest
from django.urls import reverse

from tests.factories import MilestoneFactory, UserFactory


@pytest.mark.parametrize(
    "model",
    [
        "offer",
        "contract",
        "milestone",
        "milestoneevent",
        "submissionfile",
        "timesheet",
        "bonus",
        "billingdocument",
        "weeklyupdate",
    ],
)
def test_staff_can_search_and_open_each_model_but_not_add_or_delete_money_rows(db, client, model):
    milestone = MilestoneFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = client.get(reverse(f"admin:contracts_{model}_changelist"), {"q": "x"})
    assert changelist.status_code == 200
    objects = {"offer": milestone.contract.offer, "contract": milestone.contract, "milestone": milestone}
    if model in objects:
        change = client.get(reverse(f"admin:contracts_{model}_change", args=[objects[model].pk]))
        assert change.status_code == 200
        assert client.get(reverse(f"admin:contracts_{model}_delete", args=[objects[model].pk])).status_code == 403
    assert client.get(reverse(f"admin:contracts_{model}_add")).status_code == 403
