"""Money throughput on PostgreSQL: milestone funds and freelancer payouts from concurrent clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mk_bench .venv/bin/python bench/ledger_bench.py --clients 8

Each client is its own process with its own database connection, calling the product's services as the pages and
the API do (`milestone_fund`, `payout_request`, sandbox gateway). A round funds `--funds` milestones spread over
`--contracts` contracts, then makes `--payouts` withdrawals by `--freelancers` freelancers; the set-up (contracts,
cards, available money) goes through the same services and is not timed. Prints, over `--rounds` rounds, the median
funds/s and payouts/s with the median and p95 latency of one call, then runs the ledger check, which must pass.
"""

import argparse
import functools
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role  # noqa: E402
from contracts.services import milestones  # noqa: E402
from payments.services import payouts  # noqa: E402
from payments.services.holds import holds_release_matured  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import (  # noqa: E402
    ContractFactory,
    MembershipFactory,
    MilestoneFactory,
    OfferFactory,
    OrganizationFactory,
    PaymentMethodFactory,
    PayoutMethodFactory,
)

AMOUNT = 10_000


def _setup(args, tag: str):
    """Contracts with pending milestones to fund, and freelancers with available money to withdraw."""
    organization = OrganizationFactory(name=f"Ledger bench {tag}")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    PaymentMethodFactory(organization=organization)
    contracts = [
        ContractFactory(offer=OfferFactory(organization=organization, total_cents=AMOUNT * args.funds))
        for _ in range(args.contracts)
    ]
    to_fund = [
        MilestoneFactory(contract=contracts[i % len(contracts)], amount_cents=AMOUNT).pk for i in range(args.funds)
    ]
    # Payout money: per freelancer one milestone funded, submitted, approved, and its hold matured.
    withdrawals = -(-args.payouts // args.freelancers)
    gross = -(-(withdrawals * settings.MIN_WITHDRAWAL_CENTS * 100) // (100 - settings.FREELANCER_FEE_PERCENT)) + 100
    freelancers = []
    for _ in range(args.freelancers):
        contract = ContractFactory(offer=OfferFactory(organization=organization, total_cents=gross))
        milestone = MilestoneFactory(contract=contract, amount_cents=gross)
        milestones.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key=uuid.uuid4().hex)
        milestones.milestone_submit(actor=contract.freelancer, milestone_id=milestone.pk, message="Done.")
        milestones.milestone_approve(actor=owner, milestone_id=milestone.pk)
        PayoutMethodFactory(user=contract.freelancer)
        freelancers.append(contract.freelancer.pk)
    holds_release_matured(now=timezone.now() + timedelta(days=settings.SECURITY_HOLD_DAYS, minutes=1))
    to_pay = [freelancers[i % len(freelancers)] for i in range(args.payouts)]
    return owner.pk, to_fund, to_pay


def _fund(owner_id: int, milestone_id: int) -> None:
    from accounts.models import User

    milestones.milestone_fund(
        actor=User.objects.get(pk=owner_id), milestone_id=milestone_id, request_key=uuid.uuid4().hex
    )


def _payout(user_id: int) -> None:
    from accounts.models import User

    payouts.payout_request(
        user=User.objects.get(pk=user_id),
        amount_cents=settings.MIN_WITHDRAWAL_CENTS,
        idempotency_key=uuid.uuid4().hex,
    )


def _worker(job, items, start_at, out):
    connections.close_all()  # a forked child never shares the parent's socket
    latencies = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    for item in items:
        began = time.perf_counter()
        try:
            job(item)
        except Exception as exc:  # noqa: BLE001 - a bench counts failures instead of stopping
            errors += 1
            print(f"  {item}: {exc!r}", file=sys.stderr)
        latencies.append(time.perf_counter() - began)
    connections.close_all()
    out.put((latencies, errors, time.time()))


def _phase(name, job, items, clients: int) -> tuple[float, list[float], int]:
    """Run `job` over `items` split among `clients` processes started together: (ops/s, latencies, errors)."""
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 0.5
    procs = [ctx.Process(target=_worker, args=(job, items[i::clients], start_at, out)) for i in range(clients)]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    latencies = [lat for lats, _, _ in results for lat in lats]
    errors = sum(err for _, err, _ in results)
    elapsed = max(end for _, _, end in results) - start_at
    return (len(items) - errors) / elapsed, latencies, errors


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else values[0] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--funds", type=int, default=400, help="milestones funded per round")
    parser.add_argument("--contracts", type=int, default=64, help="contracts the funded milestones spread over")
    parser.add_argument("--payouts", type=int, default=400, help="withdrawals per round")
    parser.add_argument("--freelancers", type=int, default=64, help="freelancers the withdrawals spread over")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        print("ledger_bench needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    if settings.PAYMENT_GATEWAY != "sandbox":
        print("ledger_bench runs on the sandbox gateway", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    # Unique e-mails and names again on a database an earlier run filled.
    for factory in (factories.UserFactory, factories.OrganizationFactory):
        factory.reset_sequence(int(time.time()) * 100, force=True)
    rates: dict[str, list[float]] = {"funds": [], "payouts": []}
    lats: dict[str, list[float]] = {"funds": [], "payouts": []}
    failed = 0
    for round_no in range(1, args.rounds + 1):
        owner_id, to_fund, to_pay = _setup(args, f"{uuid.uuid4().hex[:6]}")
        fund_rate, fund_lat, fund_err = _phase("funds", functools.partial(_fund, owner_id), to_fund, args.clients)
        pay_rate, pay_lat, pay_err = _phase("payouts", _payout, to_pay, args.clients)
        failed += fund_err + pay_err
        rates["funds"].append(fund_rate)
        rates["payouts"].append(pay_rate)
        lats["funds"] += fund_lat
        lats["payouts"] += pay_lat
        print(f"round {round_no}: {fund_rate:7.1f} funds/s  {pay_rate:7.1f} payouts/s  ({fund_err + pay_err} errors)")
    for name in ("funds", "payouts"):
        print(
            f"{name:8} median {statistics.median(rates[name]):7.1f}/s   p50 {_ms(lats[name], 50):6.1f} ms   "
            f"p95 {_ms(lats[name], 95):6.1f} ms   ({args.clients} clients, {args.rounds} rounds)"
        )
    try:
        call_command("ledger_check")
    except Exception as exc:  # noqa: BLE001
        print(f"ledger check FAILED: {exc}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
