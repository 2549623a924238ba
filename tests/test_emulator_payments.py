"""POST /payment, status progression, magic values and cancellation over real HTTP."""

from __future__ import annotations

import re

import pytest

from conftest import BANK_TODAY
from raw import get, post, transaction


def pay(emulator, *transactions, request_id="REQ_P1", options=None, account=0):
    body = {"requestId": request_id, "transactions": list(transactions)}
    if options is not None:
        body["options"] = options
    response = post(emulator, "/payment", body, account=account)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def statuses(emulator, *payment_ids, account=0):
    response = post(emulator, "/status", {"requestId": "REQ_S", "paymentIds": list(payment_ids)}, account=account)
    assert response.status_code == 200, response.text
    return {a["paymentId"]: a for a in response.json()["answers"]}


def test_a_payment_request_answers_every_payment_with_one_shared_trans_id(emulator):
    body = pay(emulator, transaction("PAY_01", day=BANK_TODAY), transaction("PAY_02", 217.5, day=BANK_TODAY),
               request_id="REQ_01")
    assert body["account"] == emulator.credentials[0].account
    assert body["requestId"] == "REQ_01"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", body["time"])
    first, second = body["answers"]
    assert first["transId"] == second["transId"] and first["transId"].isdigit()
    assert [first["paymentId"], second["paymentId"]] == ["PAY_01", "PAY_02"]
    assert re.fullmatch(r"[0-9A-F]{32}", first["endToEndId"]) and first["endToEndId"] != second["endToEndId"]
    assert first["status"] == second["status"] == 1
    assert second["info"]["instructed"] == {"amount": 217.5, "currency": "DKK"}


def test_wait_for_bank_response_answers_pending(emulator):
    body = pay(emulator, transaction("PAY_W", day=BANK_TODAY), options={"waitForBankResponse": True})
    assert body["answers"][0]["status"] == 2


def test_poll_mode_moves_one_step_per_status_read_to_succeeded(emulator):
    pay(emulator, transaction("PAY_01", day=BANK_TODAY))
    seen = [statuses(emulator, "PAY_01")["PAY_01"]["status"] for _ in range(4)]
    assert seen == [2, 4, 8, 8]
    final = statuses(emulator, "PAY_01")["PAY_01"]
    assert final["info"]["transacted"] == {"amount": 100.0, "currency": "DKK"}


def test_amount_as_number_or_numeric_string(emulator):
    body = pay(emulator, transaction("N1", 154, day=BANK_TODAY), transaction("N2", "154.00", day=BANK_TODAY),
               transaction("N3", 154.5, day=BANK_TODAY))
    assert [a["status"] for a in body["answers"]] == [1, 1, 1]
    assert [a["info"]["instructed"]["amount"] for a in body["answers"]] == [154, 154, 154.5]


@pytest.mark.parametrize("field, value, code", [
    ("amount", 0, "AM01"), ("amount", 0.004, "AM01"), ("amount", "0.001", "AM01"), ("amount", -5, "AM12"), ("amount", "abc", "FIELD"), ("currency", "XYZ", "AM03"),
    ("account", "not-an-account", "AC01"), ("account", "DK0000400440116243", "AC01"),
    ("paymentDate", "2026-02-30", "FIELD"), ("paymentDate", "0000-01-01", "FIELD"), ("paymentDate", "2026-11-20", "DT01"),
])
def test_an_invalid_payment_fails_alone_with_status_32_naming_the_field(emulator, field, value, code):
    bad = transaction("BAD", day=BANK_TODAY)
    bad[field] = value
    body = pay(emulator, transaction("GOOD", day=BANK_TODAY), bad)
    good, failed = body["answers"]
    assert good["status"] == 1
    assert failed["status"] == 32
    assert failed["errors"][0]["code"] == code
    assert field in failed["errors"][0]["text"] or failed["errors"][0].get("field") == field


def test_an_amount_that_is_0_00_in_the_accounts_currency_fails(emulator):
    # 0.01 DKK is 0.0013 EUR: from the demo's EUR account it would book 0.00
    answers = pay(emulator, transaction("TINY", "0.01", day=BANK_TODAY), transaction("FINE", "0.10", day=BANK_TODAY),
                  account=2)["answers"]
    assert [a["status"] for a in answers] == [32, 1]
    assert answers[0]["errors"][0]["code"] == "AM01" and "0.00 EUR" in answers[0]["errors"][0]["text"]


def test_a_missing_field_fails_only_its_payment(emulator):
    bad = transaction("BAD", day=BANK_TODAY)
    del bad["currency"]
    answers = pay(emulator, bad, transaction("GOOD", day=BANK_TODAY))["answers"]
    assert [a["status"] for a in answers] == [32, 1]
    assert "currency" in answers[0]["errors"][0]["text"]


def test_weekend_and_holiday_dates_fail_or_move_to_the_next_bank_day(emulator):
    saturday, christmas = transaction("SAT", day="2026-11-28"), transaction("XMAS", day="2026-12-24")
    failed = pay(emulator, saturday, christmas, request_id="REQ_A")["answers"]
    assert [a["status"] for a in failed] == [32, 32]
    assert "Saturday" in failed[0]["errors"][0]["text"] and "Juleaftensdag" in failed[1]["errors"][0]["text"]
    moved = pay(emulator, transaction("SAT2", day="2026-11-28"), transaction("XMAS2", day="2026-12-24"),
                request_id="REQ_B", options={"moveToNextBankDate": True})["answers"]
    assert [a["status"] for a in moved] == [1, 1]
    dates = {p["paymentId"]: p["paymentDate"] for p in emulator.payments()}
    assert dates["SAT2"] == "2026-11-30" and dates["XMAS2"] == "2026-12-28"


def test_duplicate_payment_id_is_refused_unless_the_check_is_skipped(emulator):
    pay(emulator, transaction("DUP", day=BANK_TODAY), request_id="REQ_1")
    again = pay(emulator, transaction("DUP", day=BANK_TODAY), request_id="REQ_2")["answers"][0]
    assert again["status"] == 32 and again["errors"][0]["code"] == "DUPL"
    skipped = pay(emulator, transaction("DUP", day=BANK_TODAY), request_id="REQ_3",
                  options={"skipDuplicateCheck": True})["answers"][0]
    assert skipped["status"] == 1
    within = pay(emulator, transaction("TWICE", day=BANK_TODAY), transaction("TWICE", day=BANK_TODAY),
                 request_id="REQ_4")["answers"]
    assert [a["status"] for a in within] == [1, 32]


def test_the_same_payment_id_on_another_account_is_not_a_duplicate(emulator):
    pay(emulator, transaction("SHARED", day=BANK_TODAY), account=0)
    assert pay(emulator, transaction("SHARED", day=BANK_TODAY), account=1)["answers"][0]["status"] == 1


def test_unknown_ids_answer_not_found_and_ids_come_in_every_list_form(emulator):
    pay(emulator, transaction("A1", day=BANK_TODAY), transaction("A2", day=BANK_TODAY))
    queries = [
        [("requestId", "R1"), ("paymentIds", "A1,A2,NOPE")],
        [("requestId", "R2"), ("paymentIds", "A1;A2"), ("paymentIds", "NOPE")],
        [("requestId", "R3"), ("paymentId", "A1"), ("paymentId", "A2"), ("paymentId", "NOPE")],
    ]
    for query in queries:
        answers = get(emulator, "/status", query).json()["answers"]
        assert sorted(a["paymentId"] for a in answers) == ["A1", "A2", "NOPE"]
        assert next(a for a in answers if a["paymentId"] == "NOPE")["status"] == 64
    alias = post(emulator, "/status", {"requestId": "R4", "paymentId": ["A2"]}).json()["answers"]
    assert [a["paymentId"] for a in alias] == ["A2"]
    everything = post(emulator, "/status", {"requestId": "R5"}).json()["answers"]
    assert sorted(a["paymentId"] for a in everything) == ["A1", "A2"]


def test_only_the_auth_accounts_payments_are_visible(emulator):
    pay(emulator, transaction("MINE", day=BANK_TODAY), account=0)
    other = post(emulator, "/status", {"requestId": "R", "paymentIds": ["MINE"]}, account=1).json()["answers"]
    assert other == [{"paymentId": "MINE", "status": 64, "errors": other[0]["errors"]}]
    assert post(emulator, "/status", {"requestId": "R"}, account=1).json()["answers"] == []


def test_get_payment_by_trans_id(emulator):
    answers = pay(emulator, transaction("T1", day=BANK_TODAY), transaction("T2", day=BANK_TODAY))["answers"]
    trans_id = answers[0]["transId"]
    body = get(emulator, f"/payment/{trans_id}", {"requestId": "REQ_T"}).json()
    assert body["requestId"] == "REQ_T"
    assert [a["paymentId"] for a in body["answers"]] == ["T1", "T2"]
    assert [a["status"] for a in body["answers"]] == [2, 2]  # a status read in poll mode
    unknown = get(emulator, "/payment/999", {"requestId": "REQ_U"}).json()["answers"]
    assert unknown[0]["status"] == 64
    other_account = get(emulator, f"/payment/{trans_id}", {"requestId": "REQ_V"}, account=1).json()["answers"]
    assert other_account[0]["status"] == 64


MAGIC_FINAL = {
    "rejected-ac03": (16, "AC03"), "rejected-ac01": (16, "AC01"), "rejected-ac04": (16, "AC04"),
    "rejected-ac06": (16, "AC06"), "rejected-am04": (16, "AM04"), "failed-validation": (32, "MS03"),
    "warning-then-succeeds": (8, None), "waiting-for-approval": (8, None), "stays-pending": (2, None),
    "stays-accepted": (4, None),
}


def test_the_magic_catalogue_is_served_and_every_entry_is_tested_here(emulator):
    catalogue = emulator.magic()
    assert {entry["name"] for entry in catalogue["values"]} == set(MAGIC_FINAL)
    assert catalogue["statuses"]["512"] == "Waiting"


@pytest.mark.parametrize("name", MAGIC_FINAL)
def test_each_magic_value_scripts_its_path(emulator, name):
    entry = next(e for e in emulator.magic()["values"] if e["name"] == name)
    if entry["trigger"] == "amount":
        payment = transaction("MAGIC", entry["value"], day=BANK_TODAY)
    else:
        payment = transaction("MAGIC", account="8079000082" + entry["value"], day=BANK_TODAY)
    first = pay(emulator, payment)["answers"][0]
    seen = [first["status"]] + [statuses(emulator, "MAGIC")["MAGIC"]["status"] for _ in range(len(entry["path"]) + 1)]
    assert seen[:len(entry["path"])] == entry["path"]
    final_status, code = MAGIC_FINAL[name]
    final = statuses(emulator, "MAGIC")["MAGIC"]
    assert final["status"] == final_status
    if code:
        assert final["errors"][0]["code"] == code
    for status in (128, 512):
        if status in entry["path"]:
            index = entry["path"].index(status)
            assert seen[index] == status
    if 128 in entry["path"]:
        emulator.reset()
        pay(emulator, payment)
        answers = [statuses(emulator, "MAGIC")["MAGIC"] for _ in range(2)]
        assert answers[1]["status"] == 128 and answers[1]["warnings"][0]["code"] == "AM04"


def test_a_payment_larger_than_the_balance_waits_in_warning_until_forced(emulator):
    pay(emulator, transaction("HUGE", "99999999.00", day=BANK_TODAY))
    seen = [statuses(emulator, "HUGE")["HUGE"] for _ in range(5)]
    assert [a["status"] for a in seen] == [2, 4, 128, 128, 128]
    assert seen[-1]["warnings"][0]["code"] == "AM04"
    forced = emulator.progress("HUGE", 8)
    assert forced[0]["status"] == 8


def test_cancel_moves_open_payments_to_cancelling_then_rejected(emulator):
    pay(emulator, transaction("OPEN", day=BANK_TODAY), transaction("DONE", day=BANK_TODAY))
    emulator.progress("DONE", 8)
    response = post(emulator, "/payment/cancel", {"requestId": "REQ_C", "paymentIds": ["OPEN", "DONE", "NOPE"]})
    assert response.status_code == 200, response.text
    answers = {a["paymentId"]: a for a in response.json()["answers"]}
    assert answers["OPEN"]["status"] == 256
    assert answers["DONE"]["status"] == 8 and answers["DONE"]["errors"][0]["code"] == "CNCL"
    assert answers["NOPE"]["status"] == 64
    after = statuses(emulator, "OPEN")["OPEN"]
    assert after["status"] == 16 and after["errors"][0]["code"] == "DS02"


def test_manual_progression_moves_only_through_the_control_plane(emulator):
    emulator.set_progression("manual")
    pay(emulator, transaction("M1", day=BANK_TODAY), transaction("M2", day=BANK_TODAY))
    assert statuses(emulator, "M1")["M1"]["status"] == 1
    assert [p["status"] for p in emulator.progress("M1")] == [2]
    assert [p["status"] for p in emulator.progress()] == [4, 2]  # every non-final payment one step
    assert emulator.progress("M2", 16)[0]["status"] == 16
    assert {k: a["status"] for k, a in statuses(emulator, "M1", "M2").items()} == {"M1": 4, "M2": 16}


def test_time_progression_moves_a_step_per_interval_of_bank_time(emulator):
    emulator.set_progression("time", step_seconds=60)
    pay(emulator, transaction("T1", day=BANK_TODAY))
    assert statuses(emulator, "T1")["T1"]["status"] == 1
    emulator.advance_clock(59)
    assert statuses(emulator, "T1")["T1"]["status"] == 1
    emulator.advance_clock(2)
    assert statuses(emulator, "T1")["T1"]["status"] == 2
    emulator.advance_clock(600)
    assert statuses(emulator, "T1")["T1"]["status"] == 8


def test_progression_mode_can_differ_per_account(emulator):
    emulator.set_progression("manual", account=emulator.credentials[1].account)
    pay(emulator, transaction("X", day=BANK_TODAY), account=0)
    pay(emulator, transaction("Y", day=BANK_TODAY), account=1)
    assert statuses(emulator, "X", account=0)["X"]["status"] == 2
    assert statuses(emulator, "Y", account=1)["Y"]["status"] == 1


def test_payments_listing_shows_history(emulator):
    pay(emulator, transaction("H1", day=BANK_TODAY), request_id="REQ_H")
    statuses(emulator, "H1")
    listed = emulator.payments()
    assert listed[0]["requestId"] == "REQ_H" and [h["status"] for h in listed[0]["history"]] == [1, 2]


def test_a_refused_repeat_never_hides_the_original_payment(emulator):
    first = pay(emulator, transaction("ONCE", day=BANK_TODAY), request_id="REQ_1")["answers"][0]
    emulator.progress("ONCE", 8)
    repeat = pay(emulator, transaction("ONCE", day=BANK_TODAY), request_id="REQ_2")["answers"][0]
    assert repeat["status"] == 32 and repeat["errors"][0]["code"] == "DUPL"
    assert [(a["transId"], a["status"]) for a in statuses(emulator, "ONCE").values()] == [(first["transId"], 8)]
    everything = post(emulator, "/status", {"requestId": "R"}).json()["answers"]
    assert [(a["transId"], a["status"]) for a in everything] == [(first["transId"], 8)]
    by_trans = get(emulator, f"/payment/{repeat['transId']}", {"requestId": "R"}).json()["answers"]
    assert [a["status"] for a in by_trans] == [32]  # still found by the transId the client was given
    cancel = post(emulator, "/payment/cancel", {"requestId": "C", "paymentIds": ["ONCE"]}).json()["answers"]
    assert [a["status"] for a in cancel] == [8]


def test_an_unknown_trans_id_is_not_found_and_the_reference_client_reads_it(emulator):
    answer = get(emulator, "/payment/123", {"requestId": "R"}).json()["answers"]
    assert answer == [{"transId": "123", "status": 64, "errors": answer[0]["errors"]}]
    not_a_trans_id = get(emulator, "/payment/abc", {"requestId": "R"})  # transIds are digits: no such route
    assert not_a_trans_id.status_code == 404 and not_a_trans_id.json()["error"] == "not-found"
    result = emulator.client().payment("123")
    assert result.answers[0].status == 64 and result.answers[0].payment_id is None


def test_a_final_payment_cannot_be_forced_elsewhere(emulator):
    pay(emulator, transaction("BAD", currency="QQQ", day=BANK_TODAY))
    response = emulator.http.post(emulator.url + "/_mock/progress", json={"paymentId": "BAD", "status": 8})
    assert response.status_code == 409 and response.json()["error"] == "conflict"


def test_time_progression_keeps_the_part_of_a_step_already_passed(emulator):
    emulator.set_progression("time", step_seconds=5)
    pay(emulator, transaction("T", day=BANK_TODAY))
    emulator.advance_clock(7)
    assert statuses(emulator, "T")["T"]["status"] == 2
    emulator.advance_clock(3)
    assert statuses(emulator, "T")["T"]["status"] == 4


def test_in_time_mode_a_payment_is_executed_on_its_payment_date(emulator):
    emulator.set_progression("time", step_seconds=60)
    pay(emulator, transaction("LATER", day="2026-11-27"))
    emulator.advance_clock(3600)
    assert statuses(emulator, "LATER")["LATER"]["status"] == 4
    emulator.advance_clock(3 * 86400)
    assert statuses(emulator, "LATER")["LATER"]["status"] == 8


def test_a_period_longer_than_the_limit_is_refused(emulator):
    response = get(emulator, "/report/balance", {"requestId": "R", "from": "0001-01-01", "to": BANK_TODAY})
    assert response.status_code == 400 and response.json()["details"][0]["pointer"] == "/from"
