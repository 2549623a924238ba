"""Why a signature does not match: known client mistakes, tried one by one.

When :func:`mockbank.verification.verify` finds a hash that does not match, :func:`diagnose` recomputes
it under every mistake real clients are known to make (alone, then two at a time) and names the
first that reproduces the client's hash. Each mistake has a cause code from the contract in
``design.md``; when nothing known explains the hash the cause is ``signature-mismatch`` and the
caller shows the payload it expected.

Messages and hints never contain the API key or the integration code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from mockbank.money import to_decimal
from mockbank.signing import FIELDS, NOW_FORMAT, SEPARATOR, Payload, key_bytes, mac_with, parse_api_key

#: Cause codes in the order a combined mistake is reported (the first is the ``cause``).
MISTAKE_ORDER = ("key-byte-order", "key-as-text", "token-case", "token-not-hashed", "token-encoding",
                 "field-order", "empty-fields-dropped", "amount-format", "amount-rounded", "date-format",
                 "time-mismatch", "payid-mismatch", "payid-empty", "hash-encoding")

HINTS = {
    "key-byte-order": "Use the GUID's 16 bytes in .NET Guid.ToByteArray() order (Python: "
                      "uuid.UUID(key).bytes_le): the first three groups byte-reversed, the last 8 bytes as written.",
    "key-as-text": "Do not use the API key's text as the HMAC key: parse it as a GUID and use its 16 bytes "
                   "in .NET Guid.ToByteArray() order (Python: uuid.UUID(key).bytes_le).",
    "token-case": "The token is the lower-case hex SHA-256 of the integration code (C#: ToString(\"x2\")).",
    "token-not-hashed": "The first payload component is the SHA-256 (lower-case hex) of the integration code, "
                        "not the integration code itself.",
    "token-encoding": "Hash the integration code's UTF-8 bytes (C#: Encoding.UTF8, not Encoding.Default).",
    "field-order": "Join the ten components in this order: "
                   "token#custacc#currency#reqid#paydate#amount#credacc#erp#payid#now.",
    "empty-fields-dropped": "Keep empty components: a non-payment payload has empty currency, paydate, amount "
                            "and credacc, so it contains runs of '#'.",
    "amount-format": "Write the amount with exactly two decimals, '.' as separator and no grouping, in the "
                     "invariant culture (C#: amount.ToString(\"0.00\", CultureInfo.InvariantCulture)).",
    "amount-rounded": "Sign the amount exactly as sent, with its cents: two decimals, '.' as separator "
                      "(1234.5 -> 1234.50), never rounded or cut to whole units (C#: use decimal, not int).",
    "payid-empty": "The ninth component (payid) of a non-payment payload is the requestId (the same value as "
                   "hash[0].id); of a payment payload the paymentId. It is never empty.",
    "values-spaces-stripped": "Do not remove spaces from the serialized auth JSON (Python: "
                              "json.dumps(auth).replace(' ', '') also changes the values); serialize it compactly "
                              "instead: json.dumps(auth, separators=(',', ':')).",
    "date-format": "Write the payment date as yyyyMMdd in the payload (the body keeps yyyy-MM-dd).",
    "time-mismatch": "Compute 'now' once, in UTC, and use the same instant for the auth object's time "
                     "(yyyy-MM-ddTHH:mm:ss) and the payload (yyyyMMddHHmmss).",
    "payid-mismatch": "In a payment payload the ninth component is the transaction's paymentId, "
                      "not the requestId.",
    "hash-encoding": "Encode the 32-byte HMAC in standard Base64 with '=' padding (44 characters), "
                     "not hex or URL-safe Base64.",
    "signature-mismatch": "Compare your payload string with expectedPayload character by character; "
                          "also check the API key and the integration code.",
}


@dataclass(frozen=True)
class SignedItem:
    """One hash the server checks: its id, the payload it should cover and what the client sent."""

    hash_id: str
    payload: Payload
    received: str
    transaction: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SigningSecrets:
    """The secrets behind a request: what :func:`diagnose` signs with to reproduce a mistake."""

    api_key: str
    integration_code: str

    @property
    def key(self) -> bytes:
        return key_bytes(self.api_key)


@dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found: the cause code, what exactly was wrong, and how to fix it."""

    cause: str
    message: str
    hint: str
    mistakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    """One mistake: how it changes the key, a payload component, or how components are joined."""

    code: str
    what: str
    key: bytes | None = None
    component: tuple[str, str] | None = None  # (field name, wrong value)
    join: Callable[[dict[str, str]], str] | None = None


#: Diagnoses remembered per (request, hash sent): a client retrying one bad request costs one diagnosis.
CACHE_SIZE = 1024


def diagnose(item: SignedItem, secrets: SigningSecrets, *, auth_time: str, thorough: bool = False) -> Diagnosis:
    """Name the known mistake that reproduces the hash the client sent for ``item``.

    Pairs of mistakes that include a clock shift are tried with the common shifts only (local time in
    Denmark, +1 or +2 h; a second or two), so that refusing a signature stays cheap for a server; the local
    ``explain`` passes ``thorough`` to try every shift in pairs too. The same request with the same hash is
    diagnosed once (the last :data:`CACHE_SIZE` are remembered).
    """
    amount = None if item.transaction is None else item.transaction.get("amount")
    key = (item.hash_id, item.payload, item.received, item.transaction is None, type(amount).__name__, str(amount),
           secrets, auth_time, thorough)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = _diagnose(item, secrets, auth_time, thorough)
    with _cache_lock:
        _cache[key] = found
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found


_cache: OrderedDict[tuple[Any, ...], Diagnosis] = OrderedDict()
_cache_lock = threading.Lock()


def _diagnose(item: SignedItem, secrets: SigningSecrets, auth_time: str, thorough: bool) -> Diagnosis:
    received = _received_digests(item.received)
    if not received:
        return Diagnosis("signature-mismatch",
                         f"hash {item.hash_id!r} is not a Base64-encoded 32-byte HMAC-SHA256 "
                         f"({len(item.received)} characters)", HINTS["hash-encoding"], ("signature-mismatch",))
    fields = dict(zip(FIELDS, item.payload.components()))
    key = secrets.key
    tried: set[tuple[bytes, str]] = set()
    macs: dict[bytes, Callable[[str], bytes]] = {}
    for combination in _combinations(_dimensions(item, secrets, fields, auth_time, thorough)):
        combo_key, text = _apply(combination, key, fields)
        if (combo_key, text) in tried:
            continue
        tried.add((combo_key, text))
        mac_under_key = macs.get(combo_key) or macs.setdefault(combo_key, mac_with(combo_key))
        encoding = received.get(mac_under_key(text))
        if encoding is None:
            continue
        variants = list(combination)
        if encoding:
            variants.append(Variant("hash-encoding", f"the hash was written as {encoding} instead of "
                                                     "standard padded Base64"))
        if variants:
            return _describe(item.hash_id, variants)
    return Diagnosis("signature-mismatch",
                     f"hash {item.hash_id!r} does not match, and no known client mistake explains it",
                     HINTS["signature-mismatch"], ("signature-mismatch",))


def _describe(hash_id: str, variants: Sequence[Variant]) -> Diagnosis:
    ordered = sorted(variants, key=lambda v: MISTAKE_ORDER.index(v.code))
    codes = tuple(dict.fromkeys(v.code for v in ordered))
    message = f"hash {hash_id!r}: " + "; and ".join(v.what for v in ordered)
    return Diagnosis(codes[0], message, " ".join(HINTS[code] for code in codes), codes)


def _apply(combination: Sequence[Variant], key: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    changed = fields
    join: Callable[[dict[str, str]], str] = _join_canonical
    for variant in combination:
        if variant.key is not None:
            key = variant.key
        if variant.component is not None:
            if changed is fields:
                changed = dict(fields)
            changed[variant.component[0]] = variant.component[1]
        if variant.join is not None:
            join = variant.join
    return key, join(changed)


def _combinations(dimensions: Sequence[tuple[list[Variant], list[Variant]]]) -> Iterator[tuple[Variant, ...]]:
    """No mistake, each mistake alone, then pairs of mistakes from two different dimensions.

    A dimension is ``(variants tried alone, variants tried in pairs)``; the second list is a cheaper
    subset where the first is large (every permutation of fields, every second of clock drift).
    """
    yield ()
    for alone, _ in dimensions:
        for variant in alone:
            yield (variant,)
    for (_, first), (_, second) in itertools.combinations(dimensions, 2):
        for pair in itertools.product(first, second):
            yield pair


_canonical_values = itemgetter(*FIELDS)


def _join_canonical(fields: dict[str, str]) -> str:
    return SEPARATOR.join(_canonical_values(fields))


def _join_in(order: Sequence[str]) -> Callable[[dict[str, str]], str]:
    values = itemgetter(*order)
    return lambda fields: SEPARATOR.join(values(fields))


def _join_non_empty(fields: dict[str, str]) -> str:
    return SEPARATOR.join(fields[name] for name in FIELDS if fields[name])


def _received_digests(received: str) -> dict[bytes, str]:
    """Every 32-byte digest the received text can stand for, mapped to its encoding mistake ("" if none)."""
    text = received.strip()
    readings: list[tuple[str, Callable[[], bytes]]] = [
        ("", lambda: base64.b64decode(text, validate=True)),
        ("hex", lambda: bytes.fromhex(text)),
        ("URL-safe Base64", lambda: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))),
        ("Base64 without '=' padding", lambda: base64.b64decode(text + "=" * (-len(text) % 4), validate=True)),
    ]
    digests: dict[bytes, str] = {}
    for name, read in readings:
        if name == "" and (len(text) != 44 or text != received):
            continue
        if name == "URL-safe Base64" and not re.search(r"[-_]", text):
            continue
        try:
            digest = read()
        except (binascii.Error, ValueError):
            continue
        if len(digest) == 32:
            digests.setdefault(digest, name)
    return digests


# --------------------------------------------------------------------------- the mistakes


def _dimensions(item: SignedItem, secrets: SigningSecrets, fields: dict[str, str],
                auth_time: str, thorough: bool) -> list[tuple[list[Variant], list[Variant]]]:
    payment = item.transaction is not None
    dimensions = [_key_variants(secrets), _token_variants(secrets.integration_code, fields["token"]),
                  _layout_variants(fields, payment)]
    if payment:
        dimensions += [_amount_variants(item, fields["amount"]), _date_variants(fields["paydate"])]
    dimensions.append(_time_variants(fields["now"], auth_time, thorough))
    if fields["payid"]:
        empty = [Variant("payid-empty", f"the payload's payid (ninth component) was empty instead of "
                                        f"{fields['payid']!r}", component=("payid", ""))]
        dimensions.append((empty, []))  # alone only: pairs with it would double the cost of every refusal
    if payment and fields["payid"] != fields["reqid"]:
        payid = [Variant("payid-mismatch", f"the payload's payid was the requestId {fields['reqid']!r} "
                                           f"instead of the paymentId {fields['payid']!r}",
                         component=("payid", fields["reqid"]))]
        dimensions.append((payid, payid))
    return [both if isinstance(both, tuple) else (both, both) for both in dimensions]


def _key_variants(secrets: SigningSecrets) -> list[Variant]:
    guid = parse_api_key(secrets.api_key)
    variants = [Variant("key-byte-order", "the HMAC key was the GUID's bytes in RFC 4122 order instead of "
                                          ".NET Guid.ToByteArray() order", key=guid.bytes)]
    spellings = dict.fromkeys([secrets.api_key.strip(), str(guid), str(guid).upper(), guid.hex])
    for spelling in spellings:
        variants.append(Variant("key-as-text", "the HMAC key was the API key's text instead of the GUID's "
                                               "16 bytes", key=spelling.encode("utf-8")))
    return variants


def _token_variants(integration_code: str, token: str) -> list[Variant]:
    variants = [
        Variant("token-case", "the token was upper-case hex", component=("token", token.upper())),
        Variant("token-not-hashed", "the payload started with the integration code itself instead of its "
                                    "SHA-256 token", component=("token", integration_code)),
    ]
    for encoding in ("cp1252", "latin-1", "utf-16-le"):
        try:
            raw = integration_code.encode(encoding)
        except UnicodeEncodeError:
            continue
        if raw != integration_code.encode("utf-8"):
            variants.append(Variant("token-encoding", f"the token hashed the integration code's {encoding} "
                                                      "bytes instead of its UTF-8 bytes",
                                    component=("token", hashlib.sha256(raw).hexdigest())))
    return variants


_DOCS_BULLET_ORDER = ("token", "custacc", "paydate", "amount", "currency", "reqid", "erp", "payid", "now")
_NAMED_LAYOUTS = (
    ("the docs' prose bullet order token#custacc#paydate#amount#currency#reqid#erp#payid#now (9 components)",
     _DOCS_BULLET_ORDER),
    ("the docs' prose bullet order with credacc after currency (10 components)",
     ("token", "custacc", "paydate", "amount", "currency", "credacc", "reqid", "erp", "payid", "now")),
    ("the 4-component layout account#requestId#serviceProvider#now of a non-conformant TypeScript client",
     ("custacc", "reqid", "erp", "now")),
)


def _prose_with_credacc() -> Iterator[tuple[str, tuple[str, ...]]]:
    """The docs' prose order with credacc, which the prose leaves out, put at any position."""
    for position in range(len(_DOCS_BULLET_ORDER) + 1):
        order = _DOCS_BULLET_ORDER[:position] + ("credacc",) + _DOCS_BULLET_ORDER[position:]
        if order != _NAMED_LAYOUTS[1][1]:
            yield f"the docs' prose bullet order with credacc at position {position + 1}: {'#'.join(order)}", order


def _layout_variants(fields: dict[str, str], payment: bool) -> tuple[list[Variant], list[Variant]]:
    named = [Variant("field-order", f"the payload used {what}", join=_join_in(order))
             for what, order in _NAMED_LAYOUTS]
    prose = [Variant("field-order", f"the payload used {what}", join=_join_in(order))
             for what, order in _prose_with_credacc()]
    dropped = Variant("empty-fields-dropped", "empty components were left out of the payload",
                      join=_join_non_empty)
    canonical = [fields[n] for n in FIELDS]
    permuted = [variant for order, variant in _permuted_layouts()
                if payment or [fields[n] for n in order] != canonical]
    return named + [dropped] + prose + permuted, named + [dropped]


@lru_cache(maxsize=1)  # the same for every request: built once
def _permuted_layouts() -> tuple[tuple[tuple[str, ...], Variant], ...]:
    return tuple((order, Variant("field-order", "the payload's components were in the order " + "#".join(order),
                                 join=_join_in(order))) for order in _single_moves())


def _single_moves() -> Iterator[tuple[str, ...]]:
    """Every order reached from the canonical one by swapping two fields or moving one field."""
    seen = {FIELDS}
    for i, j in itertools.permutations(range(len(FIELDS)), 2):
        swapped = list(FIELDS)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        moved = list(FIELDS)
        moved.insert(j, moved.pop(i))
        for order in (tuple(swapped), tuple(moved)):
            if order not in seen:
                seen.add(order)
                yield order


def _amount_variants(item: SignedItem, amount: str) -> list[Variant]:
    raw = item.transaction.get("amount")
    value = to_decimal(raw)
    if value is None or value.adjusted() > 100 or value.as_tuple().exponent < -100:
        return []  # not a real amount; writing it out in full could take gigabytes (1E+999999999)
    two = f"{value:.2f}"
    whole, _, cents = two.partition(".")
    grouped = f"{int(whole):,}" if whole.lstrip("-").isdigit() else whole
    # Simplest explanation first: a text several spellings produce (0,01 is a decimal comma and also "Danish
    # notation") keeps the first, simplest description.
    texts: dict[str, str] = {}
    for text, what in (
        (raw.strip() if isinstance(raw, str) else format(value, "f"), "as sent, not with two decimals"),
        (format(value.normalize(), "f"), "without two decimals"),
        (repr(float(value)), "as a float's text, not with two decimals"),
        (f"{whole},{cents}", "with a decimal comma"),
        (f"{grouped}.{cents}", "with thousands separators"),
        (f"{grouped.replace(',', '.')},{cents}", "in Danish notation (thousands '.', decimal ',')"),
        (f"{grouped.replace(',', ' ')},{cents}", "with blanks as thousands separators and a decimal comma"),
    ):
        texts.setdefault(text, what)
    variants = [Variant("amount-format", f"the amount was written {what} ({text!r} instead of {amount!r})",
                        component=("amount", text)) for text, what in texts.items() if text != amount]
    return variants + _rounded_variants(value, amount, set(texts))


def _rounded_variants(value: Decimal, amount: str, taken: set[str]) -> list[Variant]:
    """An amount with cents signed in whole units: cut (1234.5 -> 1234) or rounded (-> 1235), with or without .00."""
    if value == value.to_integral_value():
        return []
    found: dict[str, str] = {}
    for whole, how in ((value.to_integral_value(ROUND_DOWN), "cut"), (value.to_integral_value(ROUND_HALF_UP),
                                                                        "rounded")):
        for text in (f"{whole:f}", f"{whole:f}.00"):
            if text not in taken and text != amount:
                found.setdefault(text, how)
    return [Variant("amount-rounded", f"the amount was {how} to whole units ({text!r} instead of {amount!r})",
                    component=("amount", text)) for text, how in found.items()]


def _date_variants(paydate: str) -> list[Variant]:
    if not re.fullmatch(r"\d{8}", paydate):
        return []
    year, month, day = paydate[:4], paydate[4:6], paydate[6:]
    texts = {f"{year}-{month}-{day}": "yyyy-MM-dd", f"{year[2:]}{month}{day}": "yyMMdd",
             f"{day}{month}{year}": "ddMMyyyy", f"{day}-{month}-{year}": "dd-MM-yyyy"}
    return [Variant("date-format", f"the payment date was written as {fmt} ({text!r} instead of {paydate!r})",
                    component=("paydate", text)) for text, fmt in texts.items()]


#: The clock shifts tried in pairs with another mistake (unless thorough), in hours and in seconds.
COMMON_HOUR_SHIFTS = (1, 2, -1, -2)
COMMON_SECOND_SHIFTS = (-1, 1, -2, 2)


@lru_cache(maxsize=64)  # requests within one second share them: a flood of refusals builds them once
def _time_variants(now: str, auth_time: str, thorough: bool = False) -> tuple[list[Variant], list[Variant]]:
    try:
        moment = datetime.strptime(now, NOW_FORMAT)
    except ValueError:
        return [], []

    def shifted(seconds: int, what: str) -> Variant:
        text = (moment + timedelta(seconds=seconds)).strftime(NOW_FORMAT)
        return Variant("time-mismatch", f"the payload's now was {text}, {what} "
                                        f"the auth object's time {auth_time!r}", component=("now", text))

    hours = {h: shifted(h * 3600, f"{abs(h)} h {'after' if h > 0 else 'before'}") for h in range(-14, 15) if h}
    seconds = {s: shifted(s, f"{abs(s)} s {'after' if s > 0 else 'before'}") for s in range(-120, 121) if s}
    as_sent = [Variant("time-mismatch", f"the payload's now was the auth time's text {auth_time!r} instead of "
                                        f"{now} (yyyyMMddHHmmss)", component=("now", auth_time))]
    alone = [*hours.values(), *seconds.values(), *as_sent]
    if thorough:
        return alone, [*hours.values(), *(seconds[s] for s in (-2, -1, 1, 2)), *as_sent]
    return alone, [*(hours[h] for h in COMMON_HOUR_SHIFTS), *(seconds[s] for s in COMMON_SECOND_SHIFTS), *as_sent]

