import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from kernel.errors import DomainError
from payments.models import AccountKind, JournalEntry, LedgerAccount, Posting
from payments.selectors import ledger_problems
from payments.services import ledger


@pytest.fixture
def accounts(db, freelancer):
    return (
        ledger.platform_account(AccountKind.GATEWAY_CLEARING, "USD"),
        ledger.user_account(AccountKind.FREELANCER_AVAILABLE, freelancer, "USD"),
    )


def post(lines, key="k", **extra):
    with transaction.atomic():
        return ledger.entry_post(
            kind="payout", idempotency_key=key, request_hash="h", currency="USD", lines=lines, **extra
        )


def test_a_balanced_entry_moves_the_cached_balance_and_never_a_platform_row(accounts):
    clearing, available = accounts
    post([(clearing, -700), (available, 700)])
    clearing.refresh_from_db()
    available.refresh_from_db()
    # The platform's clearing account is in every payment: its balance is its postings, not a row to lock.
    assert (clearing.balance_cents, available.balance_cents) == (0, 700)
    assert sum(clearing.postings.values_list("amount_cents", flat=True)) == -700
    assert ledger_problems() == []


@pytest.mark.parametrize("lines", [[(0, -5), (1, 4)], [(0, 0), (1, 0)], [(1, 5)]])
def test_unbalanced_empty_or_one_sided_entries_are_refused(accounts, lines):
    with pytest.raises(DomainError) as exc:
        post([(accounts[i], amount) for i, amount in lines])
    assert exc.value.code == "unbalanced_entry"
    assert not JournalEntry.objects.exists()


def test_a_protected_balance_never_goes_negative(accounts):
    clearing, available = accounts
    with pytest.raises(DomainError) as exc:
        post([(clearing, 100), (available, -100)])
    assert exc.value.code == "insufficient_funds"
    assert not Posting.objects.exists()


def test_an_entry_moving_two_cached_balances_moves_both_or_neither(accounts, freelancer):
    clearing, available = accounts
    pending = ledger.user_account(AccountKind.FREELANCER_PENDING, freelancer, "USD")
    post([(clearing, -500), (available, 500)], key="fund")
    with pytest.raises(DomainError) as exc:
        post([(clearing, 300), (pending, 300), (available, -600)], key="too much")
    assert exc.value.code == "insufficient_funds"
    post([(clearing, 300), (pending, 200), (available, -500)], key="all of it")
    balances = dict(LedgerAccount.objects.filter(pk__in=[pending.pk, available.pk]).values_list("pk", "balance_cents"))
    assert balances == {pending.pk: 200, available.pk: 0}
    assert ledger_problems() == []


@pytest.mark.postgres
def test_a_refused_balance_leaves_its_entry_without_postings_so_a_swallowed_refusal_cannot_commit(accounts):
    clearing, available = accounts
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        with pytest.raises(DomainError):
            ledger.entry_post(
                kind="payout",
                idempotency_key="k",
                request_hash="h",
                currency="USD",
                lines=[(clearing, 1), (available, -1)],
            )
        assert not Posting.objects.exists()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_a_programming_error(accounts):
    clearing, available = accounts
    with pytest.raises(RuntimeError):
        ledger.entry_post(
            kind="payout", idempotency_key="k", request_hash="h", currency="USD", lines=[(clearing, -1), (available, 1)]
        )


def test_a_key_names_one_entry_forever(accounts):
    clearing, available = accounts
    first = post([(clearing, -100), (available, 100)])
    assert ledger.keyed_find(JournalEntry, idempotency_key="k", request_hash="h").pk == first.pk
    with pytest.raises(DomainError) as exc:
        ledger.keyed_find(JournalEntry, idempotency_key="k", request_hash="other")
    assert exc.value.code == "idempotency_conflict"
    # Callers look the key up once; a second post under it is refused by the database before any balance moves.
    with pytest.raises(IntegrityError), transaction.atomic():
        post([(clearing, -100), (available, 100)])
    available.refresh_from_db()
    assert available.balance_cents == 100
    assert Posting.objects.count() == 2


def test_ledger_check_names_each_problem(accounts, capsys):
    clearing, available = accounts
    post([(clearing, -100), (available, 100)])
    call_command("ledger_check")
    assert "ledger check passed" in capsys.readouterr().out
    # Corrupt the cache the way a buggy write outside the service would.
    LedgerAccount.objects.filter(pk=available.pk).update(balance_cents=55)
    problems = ledger_problems()
    assert len(problems) == 1 and problems[0].startswith("cached_balance_mismatch")
    with pytest.raises(CommandError):
        call_command("ledger_check")
    assert "cached_balance_mismatch" in capsys.readouterr().err


def test_ledger_check_finds_negative_balances_and_overdrawn_escrow(db, organization):
    clearing = ledger.platform_account(AccountKind.GATEWAY_CLEARING, "USD")
    escrow = ledger.escrow_account(escrow_reference="contract:1", currency="USD", organization=organization)
    with transaction.atomic():
        # Bypass the service the way a bug would: a balanced entry that overdraws the escrow of one reference.
        ledger.entry_post(
            kind="escrow_fund",
            idempotency_key="fund",
            request_hash="h",
            currency="USD",
            reference="milestone:1",
            lines=[(clearing, -100), (escrow, 100)],
        )
        entry = JournalEntry.objects.create(
            idempotency_key="bad", request_hash="h", kind="escrow_release", currency="USD", reference="milestone:2"
        )
        Posting.objects.bulk_create(
            [
                Posting(entry=entry, account=escrow, amount_cents=-100),
                Posting(entry=entry, account=clearing, amount_cents=100),
            ]
        )
    problems = ledger_problems()
    assert any(p.startswith("escrow_overdrawn") and "milestone:2" in p for p in problems)
    assert any(p.startswith("cached_balance_mismatch") for p in problems)


@pytest.mark.postgres
def test_postgres_refuses_an_unbalanced_entry_at_commit(accounts):
    clearing, available = accounts
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO payments_journalentry (idempotency_key, request_hash, kind, currency, reference, memo,"
            " created_at) VALUES ('raw', 'h', 'payout', 'USD', '', '', now()) RETURNING id"
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO payments_posting (entry_id, account_id, amount_cents) VALUES (%s, %s, -100), (%s, %s, 99)",
            [entry_id, clearing.pk, entry_id, available.pk],
        )
        # The trigger is deferred: the raw inserts succeed; the check fires when the constraints are checked.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not JournalEntry.objects.filter(idempotency_key="raw").exists()


@pytest.mark.postgres
def test_postgres_refuses_an_entry_without_postings(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(idempotency_key="lonely", request_hash="h", kind="payout", currency="USD")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
def test_postgres_refuses_updating_or_deleting_ledger_rows(accounts):
    clearing, available = accounts
    post([(clearing, -100), (available, 100)])
    for sql in (
        "UPDATE payments_posting SET amount_cents = amount_cents * 2",
        "DELETE FROM payments_posting",
        "UPDATE payments_journalentry SET memo = 'edited'",
        "DELETE FROM payments_journalentry",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Posting.objects.count() == 2


def test_the_database_refuses_a_negative_cached_balance_on_protected_accounts(accounts):
    _, available = accounts
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=available.pk).update(balance_cents=-1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_an_unbalanced_entry_at_the_real_commit(accounts):
    clearing, available = accounts
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(idempotency_key="raw", request_hash="h", kind="payout", currency="USD")
        Posting.objects.bulk_create(
            [
                Posting(entry=entry, account=clearing, amount_cents=-100),
                Posting(entry=entry, account=available, amount_cents=100),
                Posting(entry=entry, account=available, amount_cents=1),
            ]
        )
    assert not JournalEntry.objects.exists()
