"""Consistent anonymisation of API traffic: the same real value always becomes the same fake one.

Fakes are derived with HMAC-SHA256 under a key made when the :class:`Anonymiser` is created and never
written anywhere, so a recording or drift report cannot be turned back into the real values, while
within one proxy run an account number, a name or an amount is replaced the same way everywhere.

* Text (account numbers, names, addresses, payment texts, ids, unknown fields): each digit becomes a
  digit, each letter a letter of the same case, everything else stays: the shape (length, ``+71<..<``
  FI strings, 14-digit BBANs, IBANs) survives, the content does not.
* Amounts (any number outside :data:`KEPT_NUMBERS`): same sign, same number of integer digits and
  decimals, an int stays an int.
* Dates and timestamps, and the values of :data:`KEPT_FIELDS` (statuses, currencies, codes, BICs,
  the bank's own ids), stay as they are: they are what drift and replay need, and name nobody.
* :data:`SCRUBBED_FIELDS` (the bank's messages) keep their words; long digit runs inside them (an
  account number quoted in an error) and long hex runs are replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from decimal import Decimal
from typing import Any

#: Fields whose values are kept: structure, codes and the bank's own references, never a person's data.
KEPT_FIELDS = frozenset({
    "status", "code", "currency", "instructedCurrency", "bic", "creditorBic", "debtorBic", "type", "urgency",
    "sequence", "time", "created", "from", "to", "booking", "value", "date", "paymentDate", "transId",
    "endToEndId", "domain", "family", "subFamily", "country", "error", "cause", "version", "options",
    "ocrType", "hashId",
})
#: Numbers kept as they are (codes and counters, not money).
KEPT_NUMBERS = frozenset({"status", "sequence", "type", "urgency", "version", "exchangeRate", "count"})
#: The bank's own messages: words kept, embedded numbers replaced.
SCRUBBED_FIELDS = frozenset({"message", "hint", "reason"})
#: Headers never written to a recording.
DROPPED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
_EMBEDDED = re.compile(r"\d{6,}|[0-9a-fA-F]{32,}")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()


class Anonymiser:
    """Replaces the personal values of API JSON consistently (see the module docstring)."""

    def __init__(self, key: bytes | None = None):
        self._key = key if key is not None else secrets.token_bytes(32)

    # ------------------------------------------------------------------ JSON values

    def json(self, value: Any, field: str | None = None) -> Any:
        """``value`` (parsed JSON) with every personal value replaced; ``field`` is the key it sits under."""
        if isinstance(value, dict):
            return {key: self.json(item, key) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item, field) for item in value]
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float, Decimal)):
            return value if field in KEPT_NUMBERS else self.amount(value)
        if isinstance(value, str):
            if field in KEPT_FIELDS or _DATE_LIKE.fullmatch(value):
                return value
            if field in SCRUBBED_FIELDS:
                return _EMBEDDED.sub(lambda match: self.text(match.group()), value)
            return self.text(value)
        return value

    def query(self, query: dict[str, Any]) -> dict[str, Any]:
        """A query dict (a key maps to a string or a list of strings), anonymised by key like JSON."""
        return {key: self.json(value, key) for key, value in query.items()}

    @staticmethod
    def headers(headers: dict[str, str]) -> dict[str, str]:
        """Headers without Authorization and cookies."""
        return {name: value for name, value in headers.items() if name.lower() not in DROPPED_HEADERS}

    # ------------------------------------------------------------------ single values

    def text(self, text: str) -> str:
        """Digits to digits, letters to letters of the same case, the rest kept; same text, same result."""
        stream = self._stream(b"text", text.encode("utf-8"), len(text))
        out = []
        for char, byte in zip(text, stream):
            if char.isdigit():
                out.append(str(byte % 10))
            elif char.isalpha():
                out.append((_UPPER if char.isupper() else _LOWER)[byte % 26])
            else:
                out.append(char)
        return "".join(out)

    def amount(self, number: int | float | Decimal) -> int | float | Decimal:
        """A different amount with the same sign, integer digits and decimals (an int stays an int)."""
        value = Decimal(str(number))
        if not value.is_finite() or value == 0:
            return number
        exponent = value.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        whole_digits = max(len(str(abs(int(value)))), 1)
        stream = self._stream(b"amount", str(value.normalize()).encode("ascii"), whole_digits + decimals)
        digits = [str(byte % 10) for byte in stream]
        if whole_digits > 1 and digits[0] == "0":
            digits[0] = str(1 + stream[0] % 9)

        def drawn() -> Decimal:
            return Decimal("".join(digits[:whole_digits]) + ("." + "".join(digits[whole_digits:]) if decimals else ""))

        fake = drawn()
        while fake in (0, abs(value)):  # zero would lose the sign; the real amount (1 in 10**digits) is not hidden
            digits[-1] = str((int(digits[-1]) + 1) % 10 or 1)
            fake = drawn()
        if value < 0:
            fake = -fake
        if isinstance(number, int):
            return int(fake)
        return float(fake) if isinstance(number, float) else fake

    def _stream(self, kind: bytes, data: bytes, length: int) -> bytes:
        out = b""
        counter = 0
        while len(out) < length:
            out += hmac.new(self._key, kind + b"\0" + counter.to_bytes(4, "big") + data, hashlib.sha256).digest()
            counter += 1
        return out[:length]
