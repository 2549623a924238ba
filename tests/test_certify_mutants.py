"""The kit catches real bugs: every mutant of the reference adapter fails the right check, the reference passes."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from mockbank.cli import main
from mockbank.contract_tests.report import write_reports
from mockbank.contract_tests.runner import ERROR, FAILED, certify

MUTANT_SCRIPT = Path(__file__).parent / "mutants" / "mutant.py"
sys.path.insert(0, str(MUTANT_SCRIPT.parent))
from mutant import MUTANTS  # noqa: E402

pytestmark = pytest.mark.slow  # certification runs against every mutant client (`pytest --all` and CI run them)

REFERENCE = f'"{sys.executable}" -m mockbank.adapters.reference'


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_certify_fails_each_mutant_on_the_right_check(name, tmp_path):
    mutant = MUTANTS[name]
    report = certify(f'"{sys.executable}" "{MUTANT_SCRIPT}" {name}', examples=3, seed=7, plans=list(mutant.plans))
    failed = {result.id for result in report.results if result.status == FAILED}
    kit_errors = [f"{r.id}: {r.message}" for r in report.results if r.status == ERROR]
    assert not kit_errors
    assert not report.passed
    assert set(mutant.fails) <= failed, f"{name} ({mutant.bug}) failed {sorted(failed)}"
    if mutant.cause:
        first = next(result for result in report.results if result.id == mutant.fails[0])
        assert first.diagnosis["cause"] == mutant.cause, first.diagnosis
    junit = ElementTree.parse(write_reports(report, tmp_path)["junit"]).getroot()
    named = {f"{case.get('classname').removeprefix('mockbank.')}/{case.get('name')}"
             for case in junit.iter("testcase") if case.find("failure") is not None}
    assert set(mutant.fails) <= named


def test_the_reference_adapter_passes_every_plan_and_the_report_is_written(tmp_path, capsys):
    status = main(["certify", "--adapter", REFERENCE, "--examples", "5", "--seed", "11", "--report", str(tmp_path)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "certification PASSED" in printed and "seed 11" in printed
    assert {path.name for path in tmp_path.iterdir()} == {"junit.xml", "report.html", "report.json"}
    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert int(junit.get("tests")) >= 30 and junit.get("failures") == "0" and junit.get("errors") == "0"


def test_a_failing_certification_exits_1_and_prints_the_replay_command(tmp_path, capsys):
    command = f'"{sys.executable}" "{MUTANT_SCRIPT}" key-byte-order'
    assert main(["certify", "--adapter", command, "--plans", "signing", "--examples", "2", "--seed", "5",
                 "--report", str(tmp_path)]) == 1
    printed = capsys.readouterr().out
    assert "FAIL signing" in printed and "key-byte-order" in printed
    assert "--seed 5" in printed
    assert "key-byte-order" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_certify_refuses_an_unknown_plan(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["certify", "--adapter", REFERENCE, "--plans", "signing,nonsense"])
    assert exited.value.code == 2 and "nonsense" in capsys.readouterr().err
