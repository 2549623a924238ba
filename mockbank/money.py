"""Money: amounts as the bank reads them, in cents, the bank's exchange rates, conversion, and IBAN check digits.

Amounts are ``decimal.Decimal`` everywhere; the store keeps integer minor units (cents) so sums are exact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")

#: Units of DKK per unit of a currency: the bank's fixed rates (payments in another currency than the
#: account's are converted with them, and the generated statement history uses them too).
EXCHANGE_RATES = {"DKK": Decimal("1"), "EUR": Decimal("7.4604"), "USD": Decimal("6.8912"), "GBP": Decimal("8.6950"),
                  "SEK": Decimal("0.6410"), "NOK": Decimal("0.6380"), "CHF": Decimal("7.8120"),
                  "PLN": Decimal("1.7290")}

#: Amounts from here on are refused (AM02): in cents, converted, they would no longer fit the store's integers.
MAX_AMOUNT = Decimal("1E+15")


def to_decimal(amount: Any) -> Decimal | None:
    """An amount as sent (JSON number, Decimal, float, int or numeric string) as a Decimal.

    Returns None when it is not a finite number. Floats are read by their shortest repr, so
    ``217.5`` becomes ``Decimal("217.5")`` and not the binary expansion.
    """
    if isinstance(amount, bool) or amount is None:
        return None
    if isinstance(amount, float):
        amount = repr(amount)
    try:
        value = Decimal(str(amount).strip()) if isinstance(amount, str) else Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return value if value.is_finite() else None


def to_cents(amount: Decimal) -> int:
    """An amount as integer minor units, rounded half up."""
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    """Integer minor units as an amount with two decimals."""
    return (Decimal(cents) / 100).quantize(CENT)


def round_cents(amount: Decimal) -> Decimal:
    """An amount rounded half up to two decimals."""
    return amount.quantize(CENT, ROUND_HALF_UP)


def dkk_per_unit(currency: str) -> Decimal:
    """The rate of ``currency`` (DKK per unit); 1 for a currency the bank has no rate for."""
    return EXCHANGE_RATES.get(currency, Decimal(1))


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    """An amount in ``source`` currency expressed in ``target`` currency, at the bank's fixed rates."""
    if source == target:
        return round_cents(amount)
    return round_cents(amount * EXCHANGE_RATES[source] / EXCHANGE_RATES[target])


def _iban_number(text: str) -> int:
    """ISO 13616: letters as 10..35, the whole string read as one number."""
    return int("".join(str(int(ch, 36)) for ch in text))


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 check digits (mod 97) of a compact, upper-case IBAN."""
    return _iban_number(iban[4:] + iban[:4]) % 97 == 1


def make_iban(country: str, bban: str) -> str:
    """An IBAN with valid check digits from a country code and a BBAN."""
    return f"{country}{98 - _iban_number(f'{bban}{country}00') % 97:02d}{bban}"
