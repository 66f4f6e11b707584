"""Demo data for `make run`: every app adds its part as a step, run in order (dependencies first).

Each step is a function `step(*, log)` that creates what is missing and leaves what exists alone, so running the
command twice changes nothing. To add demo data for an app, write its step (e.g. `jobs.demo.seed_jobs`) and append
it to SEED_STEPS below, after the steps whose data it needs.
"""

from collections.abc import Callable

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, seed_accounts
from contracts.demo import seed_contracts, seed_hourly_contract
from jobs.demo import seed_jobs

SeedStep = Callable[..., None]

SEED_STEPS: list[tuple[str, SeedStep]] = [
    ("accounts", seed_accounts),
    ("jobs", seed_jobs),
    ("contracts", seed_contracts),
    ("hourly", seed_hourly_contract),
]


class Command(BaseCommand):
    help = "Create demo users, organizations and profiles (idempotent: existing data is left as it is)."

    def handle(self, *args, **options):
        for name, step in SEED_STEPS:
            lines: list[str] = []
            step(log=lines.append)
            self.stdout.write(f"{name}: " + ("created" if lines else "nothing new"))
            for line in lines:
                self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Demo logins use the password {DEMO_PASSWORD!r}."))
