"""Loading a fixture file (the bank's ERPs and accounts): the built-in demo bank or a user's file."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from mockbank import models, schemas, signing, strictjson
from mockbank.models import Erp
from mockbank.money import EXCHANGE_RATES
from mockbank.accounts import normalize_account

DEMO_FIXTURE = "demo.json"
#: The ``source`` of the built-in demo bank (a file's is its path).
DEMO_SOURCE = "built-in demo"
DEFAULT_HISTORY_DAYS = 90
#: Keys starting with this are the user's own and never an error; every other unknown key is (a typo shows).
EXTENSION_PREFIX = "x-"


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message names the file, the field and the reason."""


@dataclass(frozen=True)
class Account(models.Account):
    """An account as a fixture file describes it: the account, and how its statement history starts."""

    history_days: int = DEFAULT_HISTORY_DAYS
    entries: tuple[dict[str, Any], ...] | None = None  # given history; None = generate one


@dataclass(frozen=True)
class Fixture:
    erps: tuple[Erp, ...]
    accounts: tuple[Account, ...]
    source: str
    document: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # as read, validated

    def credentials(self) -> list[signing.Credentials]:
        """Every account's signing credentials (what ``serve`` prints and the README lists)."""
        keys = {erp.service_provider: erp.api_key for erp in self.erps}
        return [signing.Credentials(a.service_provider, keys[a.service_provider], a.account, a.integration_code)
                for a in self.accounts]


def load(path: str | Path | None = None) -> Fixture:
    """Read and validate a fixture file; ``None`` is the built-in demo bank."""
    if path is None:
        text, source = files("mockbank.fixture_files").joinpath(DEMO_FIXTURE).read_text("utf-8"), DEMO_SOURCE
    else:
        try:
            text, source = Path(path).read_text(encoding="utf-8"), str(path)
        except OSError as error:
            raise FixtureError(f"{path}: cannot read the fixture file: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise FixtureError(f"{path}: the fixture file is not UTF-8 text (byte {error.start})") from None
    try:
        document = strictjson.loads(text)
    except ValueError as error:
        raise FixtureError(f"{source}: not JSON: {error}") from None
    return from_document(document, source)


def from_document(document: Any, source: str = "fixture") -> Fixture:
    """Validate a parsed fixture document and build the :class:`Fixture`."""
    unknown = [p for p in schemas.unknown_fields("fixtures", document)
               if not any(part.startswith(EXTENSION_PREFIX) for part in p.pointer.split("/"))]
    if unknown:  # first, to name each unknown key with a "did you mean"
        raise FixtureError(f"{source}: " + "; ".join(f"{p.pointer} {p.reason}" for p in unknown)
                           + f" (keys of your own go under an '{EXTENSION_PREFIX}' prefix, e.g. 'x-note')")
    problems = schemas.violations("fixtures", document)
    if problems:
        raise FixtureError(f"{source}: " + "; ".join(f"{p.pointer or '/'} {p.reason}" for p in problems))
    erps = tuple(Erp(e["serviceProvider"], e["apiKey"], e.get("progression")) for e in document["erps"])
    known = {erp.service_provider for erp in erps}
    if len(known) < len(erps):
        names = [erp.service_provider for erp in erps]
        repeated = next(name for name in names if names.count(name) > 1)
        raise FixtureError(f"{source}: ERP {repeated!r} is listed twice in erps")
    accounts = []
    for index, data in enumerate(document["accounts"]):
        if data["currency"] not in EXCHANGE_RATES:
            raise FixtureError(f"{source}: /accounts/{index}/currency {data['currency']!r} is not a currency this bank "
                               f"has a rate for ({', '.join(EXCHANGE_RATES)})")
        if data["serviceProvider"] not in known:
            raise FixtureError(f"{source}: /accounts/{index}/serviceProvider {data['serviceProvider']!r} "
                               "is not one of the erps")
        accounts.append(Account(
            account=normalize_account(data["account"]), integration_code=data["integrationCode"],
            service_provider=data["serviceProvider"], currency=data["currency"], name=data.get("name", ""),
            bic=data.get("bic", ""), owner=dict(data.get("owner", {})),
            opening_balance=Decimal(str(data.get("openingBalance", 0))), progression=data.get("progression"),
            history_days=int(data.get("historyDays", DEFAULT_HISTORY_DAYS)),
            entries=tuple(data["entries"]) if "entries" in data else None))
    numbers = [a.account for a in accounts]
    duplicate = next((n for n in numbers if numbers.count(n) > 1), None)
    if duplicate:
        raise FixtureError(f"{source}: account {duplicate} is listed twice")
    return Fixture(erps, tuple(accounts), source, document)


def fresh_credentials(document: dict[str, Any]) -> dict[str, Any]:
    """A fixture document with a new API key for every ERP and a new integration code for every account.

    A new code keeps the letters outside ASCII of the one it replaces (``Demo-Løn-2026`` becomes
    ``sbx-ø-<16 hex digits>``), so that a copy of a bank can still test how a client signs for such codes.
    """
    erps = [{**erp, "apiKey": str(uuid.uuid4())} for erp in document["erps"]]
    accounts = [{**account, "integrationCode": _fresh_code(account["integrationCode"])}
                for account in document["accounts"]]
    return {**document, "erps": erps, "accounts": accounts}


def _fresh_code(old: str) -> str:
    letters = "".join(dict.fromkeys(character for character in old if not character.isascii()))
    return f"sbx-{letters}-{secrets.token_hex(8)}" if letters else f"sbx-{secrets.token_hex(8)}"
