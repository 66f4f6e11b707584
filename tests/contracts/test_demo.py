from accounts.demo import seed_accounts
from contracts.demo import seed_contracts
from contracts.models import Contract, Milestone
from payments.selectors import ledger_problems


def test_the_demo_step_makes_one_funded_fixed_contract_once(db):
    seed_accounts(log=lambda line: None)
    lines: list[str] = []
    seed_contracts(log=lines.append)
    seed_contracts(log=lines.append)
    contract = Contract.objects.get()
    assert contract.organization.memberships.filter(user__email="client@demo.test").exists()
    assert contract.freelancer.email == "freelancer@demo.test"
    assert list(contract.milestones.values_list("status", flat=True)) == [
        Milestone.Status.FUNDED,
        Milestone.Status.PENDING,
        Milestone.Status.PENDING,
    ]
    assert len(lines) == 2
    assert ledger_problems() == []
