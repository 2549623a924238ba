"""The dashboard's pages: each handler reads the bank of the request and renders one template."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, g, make_response, redirect, render_template, request

from mockbank import bankdays, clock, explanation, magic, render, strictjson
from mockbank.control_auth import token_matches
from mockbank.dashboard import access, journal
from mockbank.dashboard.charts import balance_chart
from mockbank.diagnosis import MISTAKE_ORDER
from mockbank.errors import BankError
from mockbank.faults import INJECTABLE_STATUSES
from mockbank.models import FINAL_STATUSES, PaymentStatus
from mockbank.settings import PROGRESSION_MODES
from mockbank.web import SANDBOX_KEY, current_bank, current_faults

blueprint = Blueprint("dashboard", __name__, url_prefix=access.UI_PATH, template_folder="templates",
                      static_folder="static", static_url_path="/static")

PAYMENTS_PER_PAGE = 50
ENTRIES_PER_PAGE = 100
CHART_DAYS = 90
#: The statuses a payment can be moved to from the Payments page (64 NotFound is an answer, not a status).
MOVABLE_STATUSES = [status for status in PaymentStatus if status != PaymentStatus.NOT_FOUND]
#: Reason codes offered when failing a payment (the catalogue's, and the funds warning's).
REASON_CODES = sorted({error["code"] for entry in magic.CATALOGUE for errors in entry.outcome.errors.values()
                       for error in errors} | {magic.INSUFFICIENT_FUNDS["code"]})


@blueprint.before_request
def require_token() -> Response | None:
    if request.endpoint in ("dashboard.token", "dashboard.static") or access.request_token_ok():
        g.control_token = access.expected_token()
        return None
    return _token_form(None, 401)


@blueprint.context_processor
def page_globals() -> dict[str, Any]:
    return {"status_names": magic.STATUS_NAMES, "token": g.get("control_token"), "bank_clock": current_bank().clock().describe(),
            "sandbox": request.script_root.rsplit("/", 1)[-1] if request.script_root else None,
            "control_base": f"{request.script_root}/_mock"}


# --------------------------------------------------------------------------- the control-plane token


@blueprint.route("/token", methods=["GET", "POST"])
def token() -> Response:
    expected = access.expected_token()
    if request.method == "GET" or expected is None:
        return redirect(access.safe_next(request.args.get("next")))
    if not token_matches(request.form.get("token", ""), expected):
        return _token_form("that token does not match this server's control token", 401)
    response = redirect(access.safe_next(request.form.get("next")))
    response.set_cookie(access.TOKEN_COOKIE, expected, path=access.cookie_path(), httponly=True, samesite="Strict")
    return response


def _token_form(error: str | None, status: int) -> Response:
    asked = request.script_root + request.full_path.rstrip("?")  # in a sandbox, below /sandboxes/<id>
    return make_response(render_template("token.html", error=error, next=request.form.get("next") or asked),
                         status)


# --------------------------------------------------------------------------- requests


@blueprint.get("/")
def requests() -> str:
    wanted = journal.JournalFilter.from_args(request.args)
    entries, older = journal.page(current_bank().store, wanted, request.args.get("before", type=int))
    causes = sorted(set(MISTAKE_ORDER) | {(entry.get("verdict") or {}).get("cause") for entry in entries} - {None})
    latest = current_bank().store.journal_newest(None, 1)  # the live view goes on from the newest, matching or not
    return render_template("requests.html", entries=entries, older=older, wanted=wanted, causes=causes,
                           newest=latest[0]["id"] if latest and "before" not in request.args else None,
                           dropped=current_bank().store.journal_dropped())


#: The response header of ``/requests/rows`` with the id of the newest journal entry read: the next ``?after=``.
NEWEST_HEADER = "X-Mockbank-Journal-Newest"


@blueprint.get("/requests/rows")
def request_rows() -> Response:
    """The rows newer than ``?after=`` (the live view polls this)."""
    entries, newest = journal.newer(current_bank().store, journal.JournalFilter.from_args(request.args),
                                    request.args.get("after", 0, type=int))
    response = make_response(render_template("request_rows.html", entries=entries))
    response.headers[NEWEST_HEADER] = str(newest)
    return response


@blueprint.get("/requests/<int:entry_id>")
def request_detail(entry_id: int) -> str:
    entry = _journal_entry(entry_id)
    base_url = request.url_root
    return render_template("request.html", entry=entry, auth=journal.decoded_auth(entry),
                           curl=journal.curl_line(entry, base_url),
                           explain=journal.explain_command(entry, journal.credential_options(
                               current_bank(), SANDBOX_KEY in request.environ)),
                           sandbox_answer=journal.SANDBOX_ANSWER_FILE if SANDBOX_KEY in request.environ else None,
                           pretty=journal.pretty)


def _journal_entry(entry_id: int) -> dict[str, Any]:
    found = current_bank().store.journal(since=entry_id - 1, limit=1)
    if not found or found[0]["id"] != entry_id:
        abort(404)
    return found[0]


# --------------------------------------------------------------------------- payments


@blueprint.get("/payments")
def payments() -> str:
    bank = current_bank()
    account = request.args.get("account") or None
    status = request.args.get("status", type=int)
    found = [payment for payment in bank.payments(account) if status is None or payment.status == status]
    found.sort(key=lambda payment: payment.row_id or 0, reverse=True)
    number, pages = _page_number(len(found), PAYMENTS_PER_PAGE)
    shown = found[(number - 1) * PAYMENTS_PER_PAGE:number * PAYMENTS_PER_PAGE]
    return render_template("payments.html", payments=shown, total=len(found), page=number, pages=pages,
                           account=account, status=status, accounts=bank.store.accounts(),
                           page_args={key: value for key, value in (("account", account), ("status", status)) if value})


@blueprint.get("/payments/<trans_id>")
def payment_detail(trans_id: str) -> str:
    """One payment: the transId is the request's, shared by its payments, so ``?paymentId=`` says which (without
    it, the request's first payment, with links to the others)."""
    bank = current_bank()
    found = bank.store.payments(trans_id=trans_id)
    if found and bank.mode(found[0].account) == "time":  # catch them up with the bank clock first
        found = [p for p in bank.payments(found[0].account) if p.trans_id == trans_id]
    payment_id = request.args.get("paymentId")
    chosen = [p for p in found if payment_id is None or p.payment_id == payment_id]
    if not chosen:
        abort(404)
    payment = chosen[0]
    return render_template("payment.html", payment=payment, entry=_booked_entry(payment),
                           siblings=[p for p in found if p is not payment],
                           description=render.payment_description(payment, bank.mode(payment.account)),
                           movable=MOVABLE_STATUSES, reason_codes=REASON_CODES,
                           final=payment.status in FINAL_STATUSES, pretty=journal.pretty)


def _booked_entry(payment) -> dict[str, Any] | None:
    """The statement entry of a booked payment, as the Simple statement shows it."""
    if payment.booked_seq is None:
        return None
    bank = current_bank()
    first = clock.bank_date(payment.created)
    last = max(payment.payment_date or first, clock.bank_date(bank.now()), first)
    for entry in bank.store.entries(payment.account, first, last):
        if entry.seq == payment.booked_seq:
            account = bank.store.account(payment.account)
            balance = account.opening_balance + bank.store.sum_through_entry(payment.account, entry.booking, entry.seq)
            return render.simple_entry(entry, balance, account.currency)
    return None


def _page_number(total: int, size: int) -> tuple[int, int]:
    pages = max(1, -(-total // size))
    return min(max(request.args.get("page", 1, type=int), 1), pages), pages


# --------------------------------------------------------------------------- accounts


@blueprint.get("/accounts")
def accounts() -> str:
    bank = current_bank()
    rows = [(account, bank.current_balance(account.account)) for account in bank.store.accounts()]
    return render_template("accounts.html", rows=rows)


@blueprint.get("/accounts/<number>")
def account_detail(number: str) -> str:
    bank = current_bank()
    owner = bank.store.account(number)
    if owner is None:
        abort(404)
    today = clock.bank_date(bank.now())
    kind = "Full" if request.args.get("type", "").lower() == "full" else "Simple"
    first = request.args.get("from") or (today - timedelta(days=CHART_DAYS - 1)).isoformat()
    last = request.args.get("to") or today.isoformat()
    error, rows = None, []
    try:
        report = bank.statement(owner.service_provider, number, "dashboard", kind, first, last, False)
        rows = render.statement(report)["entries"][::-1]
    except BankError as problem:
        error = problem.message
    number_, pages = _page_number(len(rows), ENTRIES_PER_PAGE)
    shown = rows[(number_ - 1) * ENTRIES_PER_PAGE:number_ * ENTRIES_PER_PAGE]
    return render_template("account.html", account=owner, balance=bank.current_balance(number), kind=kind,
                           first=first, last=last, error=error, rows=shown, total=len(rows), page=number_,
                           pages=pages, chart=balance_chart(_balance_points(number, today)),
                           page_args={"number": number, "type": kind, "from": first, "to": last})


def _balance_points(number: str, today) -> list[tuple[Any, Decimal]]:
    """The closing balance of each bank day of the last :data:`CHART_DAYS` days, and today's balance now."""
    bank = current_bank()
    start = today - timedelta(days=CHART_DAYS - 1)
    report = bank.balance(number, "dashboard", 2, start.isoformat(), today.isoformat())
    return [(item.date, item.amount) for item in report.balances] + [(today, bank.current_balance(number))]


# --------------------------------------------------------------------------- clock and faults


@blueprint.get("/clock")
def clock_page() -> str:
    bank = current_bank()
    now = bank.now()
    next_day = bankdays.next_bank_day(clock.bank_date(now))
    next_bank_day = datetime.combine(next_day, time(8, 0), tzinfo=timezone.utc)
    if next_bank_day <= now:  # today is a bank day and its morning has passed: the next one's
        next_day = bankdays.next_bank_day(next_day + timedelta(days=1))
        next_bank_day = datetime.combine(next_day, time(8, 0), tzinfo=timezone.utc)
    return render_template("clock.html", clock=bank.clock().describe(), progression=bank.progression(),
                           modes=PROGRESSION_MODES, faults=current_faults().list(), fault_statuses=INJECTABLE_STATUSES,
                           next_bank_day=next_bank_day.isoformat().replace("+00:00", "Z"))


# --------------------------------------------------------------------------- explain and magic values


@blueprint.route("/explain", methods=["GET", "POST"])
def explain() -> str:
    form = {"header": "", "body": "", "method": "", "path": "", "query": ""}
    result, error = None, None
    if request.method == "GET" and request.args.get("request", type=int):
        entry = _journal_entry(request.args.get("request", type=int))
        form.update(header=journal.explain_header(entry), body=journal.body_text(entry) or "",
                    method=entry["method"], path=entry["path"],
                    query=journal.query_text(entry))
    if request.method == "POST":
        form.update({name: request.form.get(name, "").strip() for name in form})
        result, error = _explain(form)
    return render_template("explain.html", form=form, result=result, error=error)


def _explain(form: dict[str, str]) -> tuple[explanation.Explanation | None, str | None]:
    if not form["header"]:
        return None, "header: paste the Authorization header value"
    body = None
    if form["body"]:
        try:
            body = strictjson.loads(form["body"])
        except ValueError as problem:
            return None, f"body: it is not JSON: {problem}"
        if not isinstance(body, dict):
            return None, "body: the request body must be a JSON object"
    bank = current_bank()
    settings = bank.settings
    return explanation.explain(form["header"], credentials=bank, body=body,
                               query=explanation.query_dict(form["query"]), method=form["method"] or None,
                               path=form["path"] or None, clock_now=bank.now(),
                               max_clock_skew=settings.max_clock_skew,
                               lenient_time_formats=settings.lenient_time_formats,
                               require_request_id_match=settings.require_request_id_match), None


@blueprint.get("/magic")
def magic_values() -> str:
    today = clock.bank_date(current_bank().now()).isoformat()
    values = [(value, journal.pretty(magic_example(value, today))) for value in magic.CATALOGUE]
    return render_template("magic.html", values=values, rules=magic.DYNAMIC_RULES)


def magic_example(value: magic.MagicValue, today: str) -> dict[str, Any]:
    """A transaction of a ``POST /payment`` body that triggers ``value``."""
    account = "30000000001234"
    amount = "100.00"
    if value.trigger == "creditorAccountSuffix":
        account = account[:-len(value.value)] + value.value
    else:
        amount = value.value
    return {"paymentId": f"MAGIC_{value.name.upper().replace('-', '_')}"[:35], "paymentDate": today,
            "amount": Decimal(amount), "currency": "DKK", "account": account,
            "creditor": {"name": "Magic Test ApS"}, "text": value.name[:35]}
