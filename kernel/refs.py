"""Plain references from a lower app to a row of a higher one (`milestone:12`, `contract:42`): DESIGN.md's way for
the ledger, the outbox or a conversation to name what caused them without importing the app that owns it.

Build and read them only here, so a kind is spelled one way everywhere."""

from enum import StrEnum

MAX_PK = 2**63 - 1  # the largest id a row can have (a 64-bit key): anything larger names nothing


class Kind(StrEnum):
    CONTRACT = "contract"
    MILESTONE = "milestone"
    TIMESHEET = "timesheet"
    BONUS = "bonus"
    DISPUTE = "dispute"
    PROPOSAL = "proposal"
    JOB = "job"
    OFFER = "offer"
    PROFILE = "profile"
    MESSAGE = "message"
    CONVERSATION = "conversation"
    ORGANIZATION = "organization"
    USER = "user"
    PAYOUT = "payout"
    PAYMENT = "payment"  # a payment operation of its own (an automatic refund of a charge nobody wanted)


def ref(kind: Kind | str, pk: int) -> str:
    """`ref(Kind.MILESTONE, 12)` → "milestone:12"."""
    return f"{Kind(kind)}:{int(pk)}"


def parse_ref(reference: str) -> tuple[Kind, int] | None:
    """ "milestone:12" → (Kind.MILESTONE, 12); None for anything that is not a reference of a known kind."""
    kind, _, pk = reference.partition(":")
    if kind not in Kind._value2member_map_ or not pk.isascii() or not pk.isdigit() or int(pk) > MAX_PK:
        return None
    return Kind(kind), int(pk)


def pk_of(reference: str, kind: Kind) -> int:
    """The pk in a reference its reader registered for (`pk_of("bonus:7", Kind.BONUS)` → 7); ValueError for any
    other string, which would be a bug in whoever stored it."""
    parsed = parse_ref(reference)
    if parsed is None or parsed[0] != kind:
        raise ValueError(f"{reference!r} is not a {kind} reference")
    return parsed[1]
