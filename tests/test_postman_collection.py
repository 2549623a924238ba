"""The Postman collection (adapters/postman/) run by newman against an emulator: every request answers 2xx.

newman comes from adapters/postman/package-lock.json (``npm ci`` there; this test runs it when
node_modules is missing). Without node and npm the test is skipped here, and fails when CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mockbank.testing import Emulator

FOLDER = Path(__file__).resolve().parents[1] / "adapters" / "postman"
COLLECTION = FOLDER / "bankintegration.postman_collection.json"
ENVIRONMENT = FOLDER / "mockbank-demo.postman_environment.json"
NEWMAN = FOLDER / "node_modules" / ".bin" / "newman"
ENDPOINTS = {"POST /payment", "GET /payment/<transId>", "POST /status", "GET /status", "GET /report/account",
             "POST /report/account", "GET /report/balance", "POST /report/balance", "POST /payment/cancel"}


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the Postman collection must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def newman() -> Path:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not on PATH")
    if not NEWMAN.exists():
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FOLDER, capture_output=True, text=True,
                              timeout=600)
        if done.returncode != 0:
            unavailable(f"npm ci in adapters/postman failed: {done.stderr.strip().splitlines()[-1:]}")
    return NEWMAN


def test_every_request_of_the_collection_answers_2xx_and_verifies(newman, tmp_path):
    assert {item["name"] for item in json.loads(COLLECTION.read_text(encoding="utf-8"))["item"]} == ENDPOINTS
    results = tmp_path / "newman.json"
    with Emulator() as bank:  # the real clock, as `mockbank serve` runs
        done = subprocess.run([str(newman), "run", str(COLLECTION), "-e", str(ENVIRONMENT),
                               "--env-var", f"baseUrl={bank.url}", "--reporters", "cli,json",
                               "--reporter-json-export", str(results), "--color", "off"],
                              cwd=FOLDER, capture_output=True, text=True, timeout=300)
        journal = bank.journal()
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    executions = json.loads(results.read_text(encoding="utf-8"))["run"]["executions"]
    answered = {execution["item"]["name"]: execution["response"]["code"] for execution in executions}
    assert set(answered) == ENDPOINTS
    assert all(200 <= code < 300 for code in answered.values()), answered
    # The emulator saw each request once, and every signature verified.
    assert len(journal) == len(ENDPOINTS)
    assert [entry["verdict"] for entry in journal] == [{"ok": True}] * len(ENDPOINTS)
