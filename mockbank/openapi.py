"""The OpenAPI 3.1 document of mockbank, generated from the route table and the JSON Schema files.

``schemas/openapi.json`` is this module's output, kept in the repository for readers and tools that
want a file (its schemas are referenced by relative file name); a test checks that it is up to date.
Write it again after changing a route or a schema's title:

    python -m mockbank.openapi > schemas/openapi.json

``GET /_mock/openapi.json`` serves :func:`served`: the same document with every schema embedded under
``components/schemas``, so that it can be used from its URL alone.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from typing import Any

from mockbank import __version__, routes, schemas

SUFFIX = ".schema.json"
TAGS = {routes.API: "bankintegration api", routes.CONTROL: "mock control plane"}

INFO = {
    "title": "mockbank: BankIntegration REST API emulator",
    "version": __version__,
    "summary": "Local emulator of api.bankintegration.dk plus its control plane.",
    "description": (
        "The public API of https://api.bankintegration.dk as emulated by mockbank, and mockbank's own control "
        "plane under /_mock (tag \"mock control plane\", no authentication).\n\nRequest and response bodies are "
        "described by the JSON Schema files next to this document (referenced by relative file name; "
        "GET /_mock/openapi.json serves the document with the schemas embedded). Every error answer carries the "
        "body of error.schema.json. An unknown route answers 404 with the list of routes, a known route called "
        "with another method 405 with the allowed methods. 5xx answers only come from the fault plan "
        "(POST /_mock/faults) or from a bug."),
    "license": {"name": "MIT", "identifier": "MIT"},
}
SERVERS = [{"url": "http://127.0.0.1:8080", "description": "mockbank serve (default)"},
           {"url": "http://127.0.0.1:8080/sandboxes/{sandboxId}",
            "description": "A sandbox of mockbank serve: every route again, acting on that sandbox alone",
            "variables": {"sandboxId": {"default": "SANDBOX", "description": "The id POST /_mock/sandboxes answered."}}},
           {"url": "https://api.bankintegration.dk", "description": "The real service"}]
TAG_LIST = [{"name": TAGS[routes.API], "description": "The emulated BankIntegration endpoints."},
            {"name": TAGS[routes.CONTROL], "description": "mockbank's test controls: clock, journal, faults, "
                                                          "progression."}]
SECURITY_SCHEME = {
    "type": "apiKey", "in": "header", "name": "Authorization",
    "description": (
        "Not a static key: every request carries its own signed authorization object (auth.schema.json) as "
        "Base64 of its UTF-8 JSON text, optionally prefixed by a scheme token such as \"Basic \". The object names "
        "serviceProvider, account, time (UTC) and requestId, and lists hash elements {id, hash}: one per "
        "transaction (id = paymentId) for POST /payment, a single one (id = requestId) for every other request. "
        "Each hash is Base64(HMAC-SHA256(key, payload)) with key = the 16 bytes of the ERP's API key GUID in .NET "
        "Guid.ToByteArray() order and payload = token#custacc#currency#reqid#paydate#amount#credacc#erp#payid#now, "
        "token being the lower-case hex SHA-256 of the account's integration code (spec §2). A failed check "
        "answers 401 Invalid Signature with a diagnosis."),
}
#: Error answers shared by routes: name in components/responses, description.
ERRORS = {
    400: ("BadRequest", "Malformed JSON, or the body/query violates its schema (details lists a JSON pointer and "
                        "reason per violation), or invalid dates / from after to."),
    401: ("Unauthorized", "Signature check failed (reason phrase Invalid Signature); diagnosis names the most "
                          "likely signing mistake."),
    413: ("PayloadTooLarge", "The body exceeds the server's limit (default 1 MiB, --max-body)."),
    500: ("InternalServerError", "Internal error: injected through the fault plan, or a bug."),
    502: ("BadGateway", "Bank unreachable (injected through the fault plan)."),
    503: ("ServiceUnavailable", "Service unavailable (injected through the fault plan)."),
    504: ("GatewayTimeout", "Bank did not answer in time (injected through the fault plan)."),
}
INJECTABLE = (500, 502, 503, 504)

#: OpenAPI links, by operationId and link name: how one answer feeds the next request.
_STATEMENT_OF_THE_SAME_REQUEST = {"operationId": "getStatement",
                                  "parameters": {"query.requestId": "$response.body#/requestId"}}
LINKS = {
    "sendPayments": {
        "GetStatusOfTheFirstPayment": {"operationId": "getStatus",
                                       "parameters": {"query.paymentIds": "$response.body#/answers/0/paymentId"}},
        "PostStatusOfTheFirstPayment": {"operationId": "postStatus",
                                        "requestBody": {"requestId": "$response.body#/requestId",
                                                        "paymentIds": ["$response.body#/answers/0/paymentId"]}},
        "GetThePaymentRequest": {"operationId": "getPayment",
                                 "parameters": {"path.transId": "$response.body#/answers/0/transId"}},
    },
    "getStatus": {
        "GetTheStatement": _STATEMENT_OF_THE_SAME_REQUEST,
        "GetTheBalance": {"operationId": "getBalance", "parameters": {"query.requestId": "$response.body#/requestId"}},
        "CancelTheFirstPayment": {"operationId": "cancelPayments",
                                  "requestBody": {"requestId": "$response.body#/requestId",
                                                  "paymentIds": ["$response.body#/answers/0/paymentId"]}},
    },
    "postStatus": {"GetTheStatement": _STATEMENT_OF_THE_SAME_REQUEST},
    "getPayment": {"GetTheStatement": _STATEMENT_OF_THE_SAME_REQUEST},
}


def document() -> dict[str, Any]:
    """The document as written to ``schemas/openapi.json`` (schemas referenced by file name)."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes.ROUTES:
        for method, operation_id in route.operations():
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, method, operation_id)
    return {
        "openapi": "3.1.0", "info": INFO, "servers": SERVERS, "tags": TAG_LIST,
        "security": [{"bankIntegrationAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bankIntegrationAuth": SECURITY_SCHEME},
            "responses": {name: {"description": text, "content": _json("error")}
                          for name, text in [*ERRORS.values(), ("NotFound", "Unknown route (routes lists the "
                                                                            "existing ones) or unknown resource.")]},
        },
    }


@functools.cache
def _served() -> str:
    return json.dumps(_embedded(document()))


def served() -> dict[str, Any]:
    """The document with every schema it refers to embedded under ``components/schemas``."""
    return json.loads(_served())


def _operation(route: routes.Route, method: str, operation_id: str) -> dict[str, Any]:
    api = route.kind == routes.API
    operation: dict[str, Any] = {"tags": [TAGS[route.kind]], "operationId": operation_id, "summary": route.summary}
    if route.description:
        operation["description"] = route.description
    request = route.requests.get(method)
    parameters = [_path_parameter(p) for p in route.path_parameters]
    if request and method in routes.QUERY_METHODS:
        parameters += _query_parameters(request)
    if parameters:
        operation["parameters"] = parameters
    if request and method not in routes.QUERY_METHODS:
        operation["requestBody"] = {"required": route.body_required, "description": _describe(request),
                                    "content": _json(request)}
    success: dict[str, Any] = {"description": route.answers}
    if route.response:
        success["content"] = _json(route.response)
    if operation_id in LINKS:
        success["links"] = LINKS[operation_id]
    responses: dict[str, Any] = {str(route.status): success}
    errors = {400} if api or request else set()
    if api:
        errors |= {401, *INJECTABLE}
    if method not in routes.QUERY_METHODS and (request or api):
        errors.add(413)
    for status in sorted({*errors, *route.errors}):
        if status in route.errors:
            responses[str(status)] = {"description": route.errors[status], "content": _json("error")}
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    operation["responses"] = responses
    operation["security"] = [{"bankIntegrationAuth": []}] if api else []
    return operation


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": schema + SUFFIX}}}


def _describe(schema: str) -> str:
    loaded = schemas.load(schema)
    return loaded.get("description") or loaded["title"]


def _path_parameter(parameter: routes.PathParameter) -> dict[str, Any]:
    return {"name": parameter.name, "in": "path", "required": True, "description": parameter.description,
            "schema": {"type": "string", "pattern": parameter.pattern}}


def _query_parameters(schema: str) -> list[dict[str, Any]]:
    """One query parameter per property of a query schema, each referring to its property."""
    loaded = schemas.load(schema)
    required = set(loaded.get("required", ()))
    found = []
    for name, property_schema in loaded.get("properties", {}).items():
        parameter = {"name": name, "in": "query", "required": name in required}
        description = property_schema.get("description") or _referenced_description(property_schema)
        if description:
            parameter["description"] = description
        parameter["schema"] = {"$ref": f"{schema}{SUFFIX}#/properties/{name}"}
        found.append(parameter)
    return found


def _referenced_description(schema: dict[str, Any]) -> str | None:
    target, _, pointer = schema.get("$ref", "").partition("#")
    if not target:
        return None
    node: Any = schemas.load(target.removesuffix(SUFFIX))
    for part in filter(None, pointer.split("/")):
        node = node[part]
    return node.get("description")


# --------------------------------------------------------------------------- embedding the schemas


def _embedded(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with ``X.schema.json#/p`` references turned into ``#/components/schemas/X/p``."""
    doc = copy.deepcopy(doc)
    embedded: dict[str, Any] = {}
    pending = _rewrite(doc, None)
    while pending:
        name = pending.pop()
        if name in embedded:
            continue
        schema = schemas.load(name)
        schema.pop("$id", None)
        schema.pop("$schema", None)
        embedded[name] = schema
        pending |= _rewrite(schema, name) - set(embedded)
    doc["components"]["schemas"] = dict(sorted(embedded.items()))
    return doc


def _rewrite(node: Any, current: str | None) -> set[str]:
    """Rewrite the references in ``node`` (part of schema ``current``, or of the document); the schemas named."""
    named: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (SUFFIX in value or (current and value.startswith("#"))):
                target, _, pointer = value.partition("#")
                name = target.removesuffix(SUFFIX) if target else current
                node[key] = f"#/components/schemas/{name}{pointer}"
                named.add(name)
            else:
                named |= _rewrite(value, current)
    elif isinstance(node, list):
        for item in node:
            named |= _rewrite(item, current)
    return named


def main() -> None:
    sys.stdout.write(json.dumps(document(), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
