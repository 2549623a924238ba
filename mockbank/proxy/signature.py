"""The proxy's signature check: mockbank's verifier on each outgoing request, and why the bank said 401.

With the developer's credentials (a :class:`~mockbank.verification.CredentialLookup`) every step is
checked, the HMAC included, and a mismatch is diagnosed. Without them every step but the HMAC is
checked: header, known shape, time, clock, requestId and one hash per transaction.

The verdict never holds the API key or an integration code, and the token (SHA-256 of the integration
code) is masked to its first and last four hex digits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from mockbank import signing, verification
from mockbank.settings import DEFAULT_MAX_CLOCK_SKEW

#: Stands in for the unknown API key when no credentials are given: any ERP and account "exist".
_PLACEHOLDER_KEY = "00000000-0000-0000-0000-000000000000"
_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")
MALFORMED_HINT = ("Send Authorization: Basic <Base64 of the UTF-8 JSON auth object> with serviceProvider, account, "
                  "time, requestId and hash; 'mockbank sign' prints a correct one.")


class _AnyCredentials:
    """A CredentialLookup that knows every ERP and account, for the check without the HMAC."""

    def api_key(self, service_provider: str) -> str:
        return _PLACEHOLDER_KEY

    def integration_code(self, service_provider: str, account: str) -> str:
        return "-"


def mask_token(text: str) -> str:
    """Every 64-hex-digit token in ``text`` masked as the emulator masks it (:func:`mockbank.signing.mask_token`)."""
    return _TOKEN.sub(lambda match: signing.mask_token(match.group()), text)


class SignatureCheck:
    """Checks requests with mockbank's verifier; ``credentials`` None checks everything but the HMAC."""

    def __init__(self, credentials: verification.CredentialLookup | None,
                 max_clock_skew: float | None = DEFAULT_MAX_CLOCK_SKEW):
        self._credentials = credentials
        self.max_clock_skew = max_clock_skew

    @property
    def checks_hmac(self) -> bool:
        return self._credentials is not None

    def verdict(self, authorization: str | None, *, method: str, path: str, query: Mapping[str, Any],
                body: Any) -> dict[str, Any]:
        """The journal's verdict: ``{"ok": true, "checked": ...}`` or ``{"ok": false, "cause", "message", ...}``."""
        checked = "all" if self.checks_hmac else "all but the HMAC (no --credentials)"
        try:
            auth = signing.parse_authorization(authorization)
        except signing.MalformedHeader as error:
            return {"ok": False, "cause": "malformed-header", "message": error.message, "hint": MALFORMED_HINT,
                    "checked": checked}
        result = verification.verify(
            auth, method=method, path=path, query=query if method.upper() != "POST" else None,
            body=body if isinstance(body, Mapping) else None,
            credentials=self._credentials or _AnyCredentials(),
            clock_now=datetime.now(timezone.utc), max_clock_skew=self.max_clock_skew)
        if not result.ok and not self.checks_hmac and result.hash_id is not None:
            result = verification.Verdict(True)  # only the HMAC failed, and it cannot be checked without a key
        verdict = {key: mask_token(value) if isinstance(value, str) else value
                   for key, value in result.to_json().items()}
        verdict["checked"] = checked
        return verdict

    def explain_401(self, verdict: dict[str, Any]) -> str:
        """Why the bank may have answered 401, from mockbank's verdict of the same request."""
        if not verdict.get("ok"):
            hint = f" Fix: {verdict['hint']}" if verdict.get("hint") else ""
            return f"mockbank's diagnosis: {verdict['cause']}: {verdict['message']}.{hint}"
        if self.checks_hmac:
            return ("mockbank's check passed with the credentials of --credentials, so the header is signed "
                    "correctly for them: the bank holds other ones. Check the apiKey, the account's "
                    "integrationCode and that the account is linked to the ERP at bankintegration.dk.")
        return ("everything but the HMAC is right; start the proxy with --credentials FILE (your serviceProvider, "
                "apiKey and integrationCodes) to check the HMAC and name the mistake.")
