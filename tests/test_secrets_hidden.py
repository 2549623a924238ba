"""No derived secret in answers: the token is masked in 401 bodies and the journal; the banner hides custom
credentials; the local tools still show everything."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

from mockbank import signing
from raw import post
from serving import start_server, stop_server
from wrong_signers import signed_header, with_mistake

CUSTOM = {"erps": [{"serviceProvider": "SecretERP", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}],
          "accounts": [{"account": "52470021527478", "integrationCode": "TopSecretKode", "serviceProvider": "SecretERP",
                        "currency": "DKK", "name": "Driftkonto", "bic": "DABADKKK",
                        "owner": {"id": "12457889", "name": "Bennys Pølsebar"}, "openingBalance": 100.00}]}


def header_with(mistake: str, credentials: signing.Credentials) -> str:
    return signed_header(with_mistake(mistake), service_provider=credentials.service_provider,
                         api_key=credentials.api_key, account=credentials.account,
                         integration_code=credentials.integration_code, request_id="R1",
                         time=datetime.now(timezone.utc))


def test_a_401_and_the_journal_show_the_token_masked(emulator):
    credentials = emulator.credentials[0]
    token = signing.integration_token(credentials.integration_code)
    header = header_with("key-byte-order", credentials)
    answer = post(emulator, "/status", {"requestId": "R1"}, headers={"Authorization": header})
    assert answer.status_code == 401
    expected = answer.json()["diagnosis"]["expectedPayload"]
    assert expected.startswith(f"{token[:8]}…{token[-4:]}#{credentials.account}#")
    assert token not in answer.text
    assert token not in json.dumps(emulator.journal(), ensure_ascii=False)
    assert emulator.journal()[-1]["verdict"]["expectedPayload"] == expected


def test_explain_still_shows_the_whole_token(emulator):
    credentials = emulator.credentials[0]
    token = signing.integration_token(credentials.integration_code)
    header = header_with("token-case", credentials)
    result = subprocess.run([sys.executable, "-m", "mockbank", "explain", "--header", header, "--query",
                             "requestId=R1", "--max-clock-skew", "off", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and json.loads(result.stdout)["expectedPayload"].startswith(token + "#")


def test_the_banner_hides_custom_credentials_unless_asked(tmp_path):
    fixture = tmp_path / "team.json"
    fixture.write_text(json.dumps(CUSTOM))
    for args, shown in (((), False), (("--show-credentials",), True)):
        process, _ = start_server(tmp_path, "--fixtures", str(fixture), *args, db=":memory:")
        stop_server(process)
        banner = "".join(process.banner)
        assert "SecretERP" in banner and "52470021527478" in banner
        for secret in ("TopSecretKode", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"):
            assert (secret in banner) is shown, banner
        assert shown or "(hidden: --show-credentials prints it)" in banner


def test_the_banner_prints_the_public_demo_credentials(tmp_path):
    process, _ = start_server(tmp_path, db=":memory:")
    stop_server(process)
    banner = "".join(process.banner)
    assert all(c.integration_code in banner and c.api_key in banner for c in signing_credentials())


def signing_credentials():
    from mockbank import fixtures

    return fixtures.load().credentials()
