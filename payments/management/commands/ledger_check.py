from django.core.management.base import BaseCommand, CommandError

from payments.selectors import ledger_problems


class Command(BaseCommand):
    help = (
        "Verify the ledger: every entry balances, every cached balance equals the sum of its postings, no "
        "escrow/pending/available balance is negative, and no reference took more out of escrow than it put in."
    )

    def handle(self, *args, **options):
        problems = ledger_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"ledger check failed: {len(problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS("ledger check passed"))
