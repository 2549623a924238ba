"""Every route mockbank serves, as data: the one list the blueprints, the OpenAPI document, the judge,
the reference adapter and the tests derive theirs from.

A :class:`Route` is one view function: its methods, its path (an OpenAPI path template), the JSON
Schema of each method's query or body, the schema and status of its success answer. No Flask here:
``mockbank.web.add_routes`` registers a kind of routes on a blueprint (at any prefix, so a sandbox
can mount the same table again), ``mockbank.openapi`` writes the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

API = "api"
CONTROL = "control"
#: Methods whose parameters travel in the query string; the others carry a JSON body.
QUERY_METHODS = frozenset({"GET", "DELETE"})


@dataclass(frozen=True)
class PathParameter:
    name: str
    pattern: str
    description: str
    #: The URL converter that matches it (registered by ``mockbank.web``).
    converter: str


@dataclass(frozen=True)
class Route:
    endpoint: str
    methods: tuple[str, ...]
    path: str
    kind: str
    summary: str
    #: operationId per method, as published in openapi.json.
    operation_ids: Mapping[str, str]
    #: Schema of the success answer ("" for none), and what that answer is.
    response: str
    answers: str
    status: int = 200
    #: Schema of each method's query (GET, DELETE) or JSON body (POST); a method missing here takes none.
    requests: Mapping[str, str] = field(default_factory=dict)
    #: False when a POST may come without a body.
    body_required: bool = True
    #: Error statuses of this route beyond the ones every route of its kind has (400, 401, 413, 5xx).
    errors: Mapping[int, str] = field(default_factory=dict)
    description: str = ""
    path_parameters: tuple[PathParameter, ...] = ()
    #: The adapter protocol's operation (``mockbank certify``) this API route serves.
    op: str | None = None

    @property
    def flask_rule(self) -> str:
        """The path as a werkzeug rule: ``/payment/{transId}`` -> ``/payment/<digits:trans_id>``."""
        converters = {parameter.name: parameter.converter for parameter in self.path_parameters}
        return re.sub(r"\{(\w+)\}", lambda m: f"<{converters[m[1]]}:{snake_case(m[1])}>", self.path)

    def request_schema(self, method: str) -> str | None:
        """The schema of a request's query or body (HEAD is a GET without the answer's body)."""
        return self.requests.get("GET" if method == "HEAD" else method)

    def operations(self) -> list[tuple[str, str]]:
        """(method, operationId) of each method, in the route's order."""
        return [(method, self.operation_ids[method]) for method in self.methods]


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _route(endpoint: str, methods: str, path: str, kind: str, summary: str, operation_ids: str, response: str,
           answers: str, *, requests: Mapping[str, str] | None = None, errors: Mapping[int, str] | None = None,
           **options) -> Route:
    return Route(endpoint, tuple(methods.split()), path, kind, summary,
                 MappingProxyType(dict(zip(methods.split(), operation_ids.split()))), response, answers,
                 requests=MappingProxyType(dict(requests or {})), errors=MappingProxyType(dict(errors or {})),
                 **options)


TRANS_ID = PathParameter("transId", "^[0-9]+$", "BankIntegration's id of the payment request (digits).", "digits")

SANDBOX_ID = PathParameter("sandboxId", "^[^/]+$", "The id POST /_mock/sandboxes answered.", "default")

ROUTES: tuple[Route, ...] = (
    # ------------------------------------------------------------------ the BankIntegration API
    _route("send_payment", "POST", "/payment", API, "Send one or more payments", "sendPayments",
           "payment-response", "One answer per transaction (spec §3.4).",
           requests={"POST": "payment-request"}, op="pay",
           description="All payments come from the account of the Authorization header. Signed with one hash per "
                       "transaction (hash[].id = paymentId)."),
    _route("payment_status", "GET POST", "/status", API, "Payment status", "getStatus postStatus",
           "status-response", "The state of the selected payments (spec §4.3).",
           requests={"GET": "status-query", "POST": "status-request"}, op="status",
           description="Without ids every payment of the auth account is reported; unknown ids answer status 64."),
    _route("payment_by_trans_id", "GET", "/payment/{transId}", API, "Status of the payments of one payment request",
           "getPayment", "status-response", "The answers of the payments sent under transId.",
           requests={"GET": "payment-query"}, op="payment", path_parameters=(TRANS_ID,),
           errors={404: "transId is not digits: no such route (an unknown transId answers 200 with status 64)."},
           description="Listed on the API overview page; shape assumed to be the /status response. Signed with a "
                       "single requestId hash."),
    _route("statement", "GET POST", "/report/account", API, "Account statement", "getStatement postStatement",
           "statement-response", "Statement entries, oldest first (spec §5.3).",
           requests={"GET": "statement-query", "POST": "statement-request"}, op="statement"),
    _route("balance", "GET POST", "/report/balance", API, "Opening and closing balances", "getBalance postBalance",
           "balance-response", "Balances per day (spec §6).",
           requests={"GET": "balance-query", "POST": "balance-request"}, op="balance"),
    _route("cancel", "POST", "/payment/cancel", API, "Cancel payments", "cancelPayments", "cancel-response",
           "The payments' state after the request (spec §7).", requests={"POST": "cancel-request"}, op="cancel",
           description="Cancellable payments move to 256 (Cancelling); final ones keep their status with an error; "
                       "unknown ids answer 64."),
    # ------------------------------------------------------------------ mockbank's control plane
    _route("health", "GET", "/_mock/health", CONTROL, "Liveness", "health", "health-response", "Server is up."),
    _route("reset", "POST", "/_mock/reset", CONTROL, "Back to the loaded fixtures", "reset", "reset-response",
           "Payments, journal, faults and clock are reset.", requests={"POST": "reset-request"},
           body_required=False),
    _route("get_clock", "GET", "/_mock/clock", CONTROL, "Read the bank clock", "getClock", "clock",
           "The bank clock."),
    _route("set_clock", "POST", "/_mock/clock", CONTROL, "Set, move, freeze or unfreeze the bank clock", "setClock",
           "clock", "The bank clock after the change.", requests={"POST": "clock-request"}),
    _route("journal", "GET", "/_mock/requests", CONTROL, "The request journal, oldest first", "listRequests",
           "journal", "Journal entries, oldest first.", requests={"GET": "journal-query"}),
    _route("clear_journal", "DELETE", "/_mock/requests", CONTROL, "Empty the journal", "clearRequests", "deleted",
           "Journal emptied."),
    _route("add_fault", "POST", "/_mock/faults", CONTROL, "Add a fault", "addFault", "fault", "The fault as stored.",
           requests={"POST": "fault-request"}, status=201),
    _route("list_faults", "GET", "/_mock/faults", CONTROL, "The fault plan", "listFaults", "faults",
           "Pending faults, oldest first."),
    _route("clear_faults", "DELETE", "/_mock/faults", CONTROL, "Clear the fault plan", "clearFaults", "deleted",
           "Faults cleared."),
    _route("magic_values", "GET", "/_mock/magic", CONTROL, "Catalogue of magic values", "magic", "magic",
           "What each magic value triggers."),
    _route("progress", "POST", "/_mock/progress", CONTROL, "Move payments on", "progress", "progress-response",
           "The payments after the move.", requests={"POST": "progress-request"}, body_required=False,
           errors={404: "No payment with this paymentId (on this account).",
                   409: "The payment is final and cannot be moved."}),
    _route("payments", "GET", "/_mock/payments", CONTROL, "Every payment the bank holds", "listPayments", "payments",
           "Payments with account, ids, status and history.", requests={"GET": "payments-query"}),
    _route("get_progression", "GET", "/_mock/progression", CONTROL, "Progression modes", "getProgression",
           "progression", "The server's progression mode and each account's own."),
    _route("set_progression", "POST", "/_mock/progression", CONTROL, "Set a progression mode", "setProgression",
           "progression", "The progression modes after the change.", requests={"POST": "progression-request"},
           errors={404: "No such account."}),
    _route("openapi_document", "GET", "/_mock/openapi.json", CONTROL, "This OpenAPI document", "openapi",
           "openapi-document", "The OpenAPI 3.1 document of the API and the control plane, schemas included."),
    _route("create_sandbox", "POST", "/_mock/sandboxes", CONTROL, "Make a sandbox: an isolated bank below its baseUrl",
           "createSandbox", "sandbox-response", "The sandbox, with the credentials its bank was made with.",
           requests={"POST": "sandbox-request"}, body_required=False, status=201,
           errors={404: "Asked inside a sandbox: sandboxes are made at the server's root."},
           description="Every API route and every /_mock route exists again below baseUrl (<server>/sandboxes/<id>) "
                       "and acts on that sandbox alone. Without fixtures it is a copy of the server's fixtures with "
                       "fresh API keys and integration codes."),
    _route("list_sandboxes", "GET", "/_mock/sandboxes", CONTROL, "Every sandbox of the server", "listSandboxes",
           "sandboxes-response", "The sandboxes, oldest first (expired ones are removed first).",
           errors={404: "Asked inside a sandbox: sandboxes are listed at the server's root."}),
    _route("delete_sandbox", "DELETE", "/_mock/sandboxes/{sandboxId}", CONTROL, "Delete a sandbox and its data",
           "deleteSandbox", "", "Deleted, with every row of its bank.", status=204, path_parameters=(SANDBOX_ID,),
           errors={404: "No such sandbox (or asked inside a sandbox)."}),
)


def of_kind(kind: str) -> tuple[Route, ...]:
    return tuple(route for route in ROUTES if route.kind == kind)


def operations() -> list[tuple[str, str, Route]]:
    """(method, path, route) of every operation mockbank serves."""
    return [(method, route.path, route) for route in ROUTES for method in route.methods]


def operation_routes() -> dict[str, set[tuple[str, str]]]:
    """The adapter protocol's operations and the (method, path) each may be sent as."""
    found: dict[str, set[tuple[str, str]]] = {}
    for route in ROUTES:
        if route.op is not None:
            found.setdefault(route.op, set()).update((method, route.path) for method in route.methods)
    return found


def request_schemas() -> dict[tuple[str, str], str]:
    """The schema of each operation's query or body, by (method, path)."""
    return {(method, route.path): name for route in ROUTES for method, name in route.requests.items()}


def find(method: str, path: str) -> Route | None:
    """The route serving ``method`` at a concrete ``path`` (``/payment/254000001`` finds ``/payment/{transId}``)."""
    for route in ROUTES:
        if method in route.methods and _matcher(route).fullmatch(path):
            return route
    return None


def _matcher(route: Route) -> re.Pattern[str]:
    patterns = {parameter.name: parameter.pattern.strip("^$") for parameter in route.path_parameters}
    parts = re.split(r"\{(\w+)\}", route.path)
    return re.compile("".join(re.escape(part) if index % 2 == 0 else f"(?:{patterns[part]})"
                              for index, part in enumerate(parts)))


ROUTE_BY_ENDPOINT: Mapping[str, Route] = MappingProxyType({route.endpoint: route for route in ROUTES})


def listing() -> list[str]:
    """Every route as ``METHODS /path`` (what a 404 lists), sorted."""
    return sorted(f"{','.join(sorted(route.methods))} {route.path}" for route in ROUTES)
