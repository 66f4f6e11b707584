"""Every fee the platform takes, computed here and nowhere else.

Percents come from settings; amounts are integer cents; rounding is half-up to the cent, done with Decimal so no
float ever touches money. A split returns parts that always add back up to the whole.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_cents: int, percent) -> int:
    """`percent` % of `amount_cents`, half-up to the cent (percent may be an int, a str or a Decimal)."""
    if amount_cents < 0:
        raise ValueError("Fees are computed on non-negative amounts.")
    return _half_up(Decimal(amount_cents) * Decimal(str(percent)) / Decimal(100))


def client_fee(amount_cents: int) -> int:
    """The marketplace fee charged to the client on top of `amount_cents`."""
    return percent_of(amount_cents, settings.CLIENT_FEE_PERCENT)


def freelancer_fee(amount_cents: int) -> int:
    """The service fee kept from `amount_cents` released to a freelancer."""
    return percent_of(amount_cents, settings.FREELANCER_FEE_PERCENT)


def split_release(amount_cents: int) -> tuple[int, int]:
    """(what the freelancer gets, the platform's fee); the two add up to `amount_cents`."""
    fee = freelancer_fee(amount_cents)
    return amount_cents - fee, fee


def charge_total(amount_cents: int) -> tuple[int, int]:
    """(what the card is charged, the client fee in it) for putting `amount_cents` into escrow."""
    fee = client_fee(amount_cents)
    return amount_cents + fee, fee


def prorate(part_cents: int, whole_cents: int, total_cents: int) -> int:
    """The share of `total_cents` that `part_cents` out of `whole_cents` carries, half-up.

    Used cumulatively (share of everything so far, minus what was already taken), the shares of any sequence of
    parts that reaches the whole add up to exactly `total_cents`.
    """
    if not 0 <= part_cents <= whole_cents or whole_cents <= 0:
        raise ValueError("The part must be between zero and the whole, and the whole positive.")
    return _half_up(Decimal(total_cents) * Decimal(part_cents) / Decimal(whole_cents))


def allocate(total_cents: int, weights: list[int]) -> list[int]:
    """Split `total_cents` in proportion to `weights` (largest remainder): the parts add up to the total."""
    if total_cents < 0 or not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("The total and the weights must be non-negative, the weights not all zero.")
    whole = sum(weights)
    exact = [Decimal(total_cents) * Decimal(w) / Decimal(whole) for w in weights]
    parts = [int(e) for e in exact]  # truncation toward zero; total_cents is non-negative here
    remainder = total_cents - sum(parts)
    by_fraction = sorted(range(len(weights)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)
    for i in by_fraction[:remainder]:
        parts[i] += 1
    return parts
