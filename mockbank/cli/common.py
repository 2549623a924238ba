"""What the commands share: the usage error, credential options, JSON files, times and clock skews."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from mockbank import signing, strictjson


class UsageError(Exception):
    """A command-line input that cannot be used; printed without a traceback."""





def add_credential_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("credentials (a JSON file, flags, or both: flags win)")
    group.add_argument("--credentials", metavar="FILE",
                       help='JSON file {"serviceProvider", "apiKey", "account", "integrationCode"}')
    group.add_argument("--service-provider", metavar="ERP", help="the ERP name (serviceProvider)")
    group.add_argument("--api-key", metavar="GUID", help="the ERP's API key")
    group.add_argument("--account", metavar="BBAN", help="the own account, 14 digits")
    group.add_argument("--integration-code", metavar="CODE", help="the account's integration code")


def credentials_from_args(args: argparse.Namespace) -> signing.Credentials:
    data: dict[str, Any] = read_json(args.credentials, "--credentials") if args.credentials else {}
    if not isinstance(data, dict):
        raise UsageError(f"--credentials: {args.credentials} must hold a JSON object with serviceProvider, apiKey, "
                         "account and integrationCode")
    for key in ("serviceProvider", "apiKey", "account", "integrationCode"):
        if key in data and not isinstance(data[key], str):
            raise UsageError(f"--credentials: {key} in {args.credentials} must be a string")
    for flag, key in (("service_provider", "serviceProvider"), ("api_key", "apiKey"), ("account", "account"),
                      ("integration_code", "integrationCode")):
        if getattr(args, flag):
            data[key] = getattr(args, flag)
    missing = [key for key in ("serviceProvider", "apiKey", "account", "integrationCode") if not data.get(key)]
    if missing:
        raise UsageError("missing credentials: " + ", ".join(missing)
                         + " (give --credentials FILE or the matching flags)")
    try:
        signing.parse_api_key(data["apiKey"])
    except signing.InvalidApiKey as error:
        raise UsageError(f"--api-key: {error}") from None
    return signing.Credentials.from_json(data)


def read_json(path: str, option: str) -> Any:
    """Read a JSON file ('-' = standard input), keeping numbers exact as Decimal."""
    try:
        text = _stdin_text() if path == "-" else Path(path).read_bytes().decode("utf-8")
    except OSError as error:
        raise UsageError(f"{option}: cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"{option}: {path} is not UTF-8 text (byte {error.start})") from None
    try:
        return strictjson.loads(text)
    except ValueError as error:
        raise UsageError(f"{option}: {path} is not JSON: {error}") from None


def _stdin_text() -> str:
    """Standard input as UTF-8 text (its bytes, where it has them, so that other bytes are named as such)."""
    raw = getattr(sys.stdin, "buffer", None)
    return raw.read().decode("utf-8") if raw is not None else sys.stdin.read()


def parse_time(text: str | None, option: str) -> datetime:
    """An ISO 8601 (or compact) instant from an option; now (UTC) when not given."""
    if not text:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        return signing.parse_auth_time(text, lenient=True)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


def clock_skew(text: str) -> float | None:
    """``--max-clock-skew``: seconds, or ``off`` (None)."""
    if text.strip().lower() == "off":
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise UsageError(f"--max-clock-skew: {text!r} is not a number of seconds or 'off'") from None
    if not 0 <= seconds < float("inf"):  # NaN fails this too
        raise UsageError(f"--max-clock-skew: {text!r} must be 0 or more seconds (or 'off')")
    return seconds


def request_error_reason(error: Exception) -> str:
    """What went wrong reaching a URL, in words: the innermost cause's message (requests nests them)."""
    while error.args and isinstance(error.args[0], Exception):
        error = error.args[0]
    reason = getattr(error, "reason", None)
    text = str(reason if isinstance(reason, Exception) else error) or type(error).__name__
    return text.rsplit("): ", 1)[-1] if "Failed to establish" in text else text  # "[Errno 111] Connection refused"


def header_value(text: str) -> str:
    """``--header``: the value, or ``@FILE`` to read it from a file."""
    if not text.startswith("@"):
        return text
    try:
        return Path(text[1:]).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise UsageError(f"--header: cannot read {text[1:]}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"--header: {text[1:]} is not UTF-8 text (byte {error.start})") from None


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
