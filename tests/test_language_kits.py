"""Every language kit (adapters/<lang>/ with a kit.json) as a new user would try it from its folder.

Per kit: its sign.sh reproduces every shared test vector byte for byte, its certify.sh passes every
plan on a fresh emulator, and a copy whose signer writes amounts with a decimal comma fails
certification with the diagnosis "amount-format". A kit whose tools are missing is skipped here
with the reason, and fails when CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the kits' real toolchains (`pytest --all` and CI run them)

ROOT = Path(__file__).resolve().parents[1]
KITS = sorted(path.parent for path in (ROOT / "adapters").glob("*/kit.json"))
# The shared vectors live in ../shared beside the repository; tests/data keeps a copy (see test_signing.py).
SHARED_VECTORS = ROOT.parent / "shared" / "spec" / "test-vectors.json"
VECTORS_FILE = SHARED_VECTORS if SHARED_VECTORS.exists() else ROOT / "tests" / "data" / "test-vectors.json"
VECTORS = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]
#: The mockbank command of the Python running these tests (the one certify.sh must use).
MOCKBANK = Path(sys.executable).with_name("mockbank.exe" if os.name == "nt" else "mockbank")
#: Builds (Maven, dotnet, go) may fetch and compile on their first run; certify runs 30-odd checks.
SCRIPT_TIMEOUT = 1200


def kit_param(folder: Path):
    return pytest.param(folder, id=folder.name)


KIT_PARAMS = [kit_param(folder) for folder in KITS]


def unavailable(reason: str) -> None:
    """Skip with the reason here; fail in CI, where every kit's tools must be installed."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: every kit must run)")
    pytest.skip(reason)


def kit_settings(folder: Path) -> dict:
    settings = json.loads((folder / "kit.json").read_text(encoding="utf-8"))
    missing = [tool for tool in settings["tools"] if shutil.which(tool) is None]
    if missing:
        unavailable(f"{folder.name} kit: {', '.join(missing)} not on PATH")
    if not MOCKBANK.exists():
        unavailable(f"no mockbank console script next to {sys.executable}")
    return settings


def run(script: Path, *args: str, stdin: str | None = None, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOCKBANK": str(MOCKBANK)}
    try:
        return subprocess.run(["bash", str(script), *args], input=stdin, capture_output=True, text=True,
                              encoding="utf-8", cwd=cwd, env=env, timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{script} {' '.join(args)} did not finish within {SCRIPT_TIMEOUT} s")


def sign_input(vector: dict) -> dict:
    """The sign.sh request of a vector (the vectors name their inputs in snake case)."""
    inputs = vector["inputs"]
    request = {"serviceProvider": inputs["erp_name"], "apiKey": inputs["api_key"], "account": inputs["account"],
               "integrationCode": inputs["integration_code"], "requestId": inputs["request_id"],
               "time": inputs["time"]}
    if vector["kind"] == "payment":
        request["transactions"] = inputs["transactions"]
    return request


def build_outputs(folder: Path) -> list[str]:
    """The names the kit's .gitignore lists: build outputs a copy must not take along."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        return []
    lines = (line.strip() for line in ignore.read_text(encoding="utf-8").splitlines())
    return [line.strip("/") for line in lines if line and not line.startswith(("#", "!"))]


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_sign_sh_reproduces_every_shared_vector(folder, tmp_path):
    kit_settings(folder)
    wrong = []
    for vector in VECTORS:
        done = run(folder / "sign.sh", stdin=json.dumps(sign_input(vector), ensure_ascii=False), cwd=tmp_path)
        if done.returncode != 0:
            pytest.fail(f"{folder.name}/sign.sh exited {done.returncode} on {vector['id']}: {done.stderr.strip()}")
        if done.stdout.strip("\r\n") != vector["expected"]["authorization"]:
            wrong.append(f"{vector['id']}: {done.stdout.strip()!r}")
    assert not wrong, f"{folder.name}/sign.sh differs from the expected header on " + "; ".join(wrong)


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_certify_sh_passes_every_plan(folder, tmp_path):
    kit_settings(folder)
    done = run(folder / "certify.sh", "--examples", "5", "--report", str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 0, f"{folder.name}/certify.sh exited {done.returncode}:\n{done.stdout}\n{done.stderr[-3000:]}"
    assert "certification PASSED" in done.stdout


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_a_signer_with_a_decimal_comma_fails_with_amount_format(folder, tmp_path):
    mutation = kit_settings(folder)["decimalCommaMutation"]
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(*build_outputs(folder)))
    signer = copy / mutation["file"]
    text = signer.read_text(encoding="utf-8")
    assert text.count(mutation["replace"]) == 1, \
        f"{folder.name}/kit.json: the mutation's text occurs {text.count(mutation['replace'])} times in {mutation['file']}"
    signer.write_text(text.replace(mutation["replace"], mutation["with"]), encoding="utf-8")
    report = tmp_path / "report"
    done = run(copy / "certify.sh", "--examples", "5", "--report", str(report), cwd=tmp_path)
    assert done.returncode != 0, f"the mutated {folder.name} kit passed certification:\n{done.stdout}"
    assert (report / "report.json").exists(), f"no report written:\n{done.stdout}\n{done.stderr[-3000:]}"
    results = json.loads((report / "report.json").read_text(encoding="utf-8"))["results"]
    causes = {(result.get("diagnosis") or {}).get("cause") for result in results}
    assert "amount-format" in causes, f"diagnosis causes {sorted(map(str, causes))}:\n{done.stdout}"
