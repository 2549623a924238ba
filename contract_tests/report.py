"""The certification report: JUnit XML for CI, one self-contained HTML page for people, and JSON.

:func:`write_reports` writes all three into a directory. Each names what the certificate covers
(every operation, or PARTIAL: only those the adapter offered, with the plans left out) and shows the
adapter's start (its first reply) as its own line. Every failed or errored check comes with
its evidence: the message, the shrunk example, the request the client sent (the last journal entry
of the last exchange that reached the emulator), the signature diagnosis, what was expected against
what the client reported, the adapter's stderr, and a ``curl`` line that replays the request.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shlex
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from mockbank.contract_tests.adapter import DEFAULT_START_TIMEOUT
from mockbank.contract_tests.plans import checks
from mockbank.contract_tests.report_text import clean, cut, to_json_text
from mockbank.contract_tests.runner import ERROR, FAILED, PASSED, CheckResult, Report, StartResult

__all__ = ["curl_line", "replay_command", "start_line", "write_html", "write_junit", "write_reports"]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# --------------------------------------------------------------------------- curl and replay


def _header(entry: dict[str, Any], name: str) -> str | None:
    for key, value in (entry.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def request_url(entry: dict[str, Any], base_url: str) -> str:
    """The URL of a journal entry: base URL, path (percent-encoded again) and query string."""
    path = quote(entry.get("path") or "/", safe="/:@!$&'()*+,;=-._~")
    query = entry.get("query") or {}
    url = base_url.rstrip("/") + path
    if query:
        url += "?" + urlencode({key: [str(v) for v in value] if isinstance(value, list) else str(value)
                                for key, value in query.items()}, doseq=True)
    return url


def curl_line(entry: dict[str, Any], base_url: str) -> str:
    """A shell command that sends a journaled request again: method, URL with query, Authorization, body.

    The body is the journal's parsed body as compact JSON (Decimal as numbers); a body the emulator
    could not parse is sent as the text it received. Every argument is quoted with :func:`shlex.quote`.
    """
    method = (entry.get("method") or "GET").upper()
    words = ["curl", "-X", method if method.isalpha() else _quote(method), _quote(request_url(entry, base_url))]
    authorization = _header(entry, "Authorization")
    if authorization is not None:
        words += ["-H", _quote(f"Authorization: {authorization}")]
    body = entry.get("body")
    if body is not None and method not in ("GET", "HEAD"):
        words += ["-H", _quote(f"Content-Type: {_header(entry, 'Content-Type') or JSON_CONTENT_TYPE}"),
                  "--data-binary", _quote(body if isinstance(body, str) else to_json_text(body, indent=None))]
    return " ".join(words)


def _quote(text: str) -> str:
    """Always single-quoted for the shell (``shlex.quote`` leaves a safe word bare)."""
    quoted = shlex.quote(clean(text))
    return quoted if quoted.startswith("'") else f"'{quoted}'"


def replay_command(report: Report) -> str:
    """The ``mockbank certify`` command that runs the same examples again with the same options, quoted for a
    POSIX shell (the control token is left out: give it again, or keep it in ``$MOCKBANK_CONTROL_TOKEN``)."""
    words = ["mockbank", "certify", "--adapter", report.adapter]
    if report.server_url:
        words += ["--url", report.server_url]
    if report.fixtures:
        words += ["--fixtures", report.fixtures]
    if report.plans_asked is not None:
        words += ["--plans", ",".join(report.plans_asked)]
    words += ["--seed", str(report.seed), "--examples", str(report.examples), "--timeout-ms", str(report.timeout_ms)]
    if report.start_timeout != DEFAULT_START_TIMEOUT:
        words += ["--adapter-start-timeout", str(report.start_timeout)]
    return shlex.join(clean(word) for word in words)


# --------------------------------------------------------------------------- the evidence of a check


@dataclass
class Evidence:
    """What the report shows for one failed or errored check."""

    exchange: dict[str, Any] | None  # the last exchange that reached the emulator (else the last one)
    entry: dict[str, Any] | None  # its last journal entry
    diagnosis: dict[str, Any] | None
    expected: Any
    reported: Any
    from_result: bool  # expected/reported come from the check (else: the emulator's answer vs the reply)
    failure: str | None  # the adapter broke the protocol
    stderr: str


def evidence(result: CheckResult) -> Evidence:
    exchanges = result.exchanges or []
    with_requests = [exchange for exchange in exchanges if exchange.get("requests")]
    exchange = with_requests[-1] if with_requests else (exchanges[-1] if exchanges else None)
    entry = exchange["requests"][-1] if exchange and exchange.get("requests") else None
    diagnosis = result.diagnosis
    verdict = (entry or {}).get("verdict")
    if not diagnosis and isinstance(verdict, dict) and not verdict.get("ok"):
        diagnosis = verdict
    if result.expected is not None or result.reported is not None:
        expected, reported, from_result = result.expected, result.reported, True
    else:
        expected = entry.get("response") if entry else None
        reported = exchange.get("reply") if exchange else None
        from_result = False
    failures = [f"{e.get('op')}: {e['failure']}" for e in exchanges if e.get("failure")]
    stderr = "".join(e.get("stderr") or "" for e in exchanges)
    return Evidence(exchange, entry, diagnosis, expected, reported, from_result,
                    "\n".join(failures) or None, cut(stderr, 20_000, keep="tail"))


def _auth_object(entry: dict[str, Any]) -> Any:
    """The decoded Authorization header (Base64 JSON), or None when it is not that."""
    value = _header(entry, "Authorization")
    if not value:
        return None
    text = value.strip()
    if text.lower().startswith("basic "):
        text = text[6:].strip()
    try:
        return json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def _diagnosis_lines(diagnosis: dict[str, Any]) -> list[str]:
    return [f"{key}: {diagnosis[key]}" for key in ("cause", "message", "hashId", "hint", "expectedPayload")
            if diagnosis.get(key) not in (None, "")]


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


def _counts(results: list[CheckResult]) -> tuple[int, int, int]:
    return (len(results), sum(r.status == FAILED for r in results), sum(r.status == ERROR for r in results))


def start_line(start: StartResult) -> str:
    """The adapter's start in one line: how long its first reply took and what it offered, or why it failed."""
    if start.hello is None:
        return start.message
    hello = start.hello
    who = " ".join(part for part in (hello.name, hello.version) if part)
    offers = (f"answered hello: offers {', '.join(hello.operations)}" if hello.knows_hello
              else "does not know hello: certified for every operation")
    return f"first reply after {_seconds(start.seconds)}" + (f" from {who}" if who else "") + f"; {offers}"


def left_out_reason(missing: list[str]) -> str:
    return f"left out: needs {', '.join(missing)}, which the adapter does not offer"


# --------------------------------------------------------------------------- JUnit XML


def _failure_text(report: Report, result: CheckResult) -> str:
    found = evidence(result)
    lines = [result.message, ""]
    if result.example is not None:
        lines += ["example:", to_json_text(result.example), ""]
    if found.failure:
        lines += ["adapter failure:", found.failure, ""]
    if found.diagnosis:
        lines += ["signature diagnosis:", *(f"  {line}" for line in _diagnosis_lines(found.diagnosis)), ""]
    if found.entry is not None:
        status = "dropped" if found.entry.get("dropped") else found.entry.get("status")
        lines += [f"request: {found.entry.get('method')} {request_url(found.entry, report.url)} -> {status}", ""]
    if found.from_result:
        lines += ["expected:", cut(to_json_text(found.expected), 4000), "reported:",
                  cut(to_json_text(found.reported), 4000), ""]
    if found.entry is not None:
        lines += ["replay the request:", curl_line(found.entry, report.url), ""]
    lines += [f"replay the check: {replay_command(report)}"]
    return "\n".join(lines)


def _properties(parent: ElementTree.Element, report: Report) -> None:
    properties = ElementTree.SubElement(parent, "properties")
    for name, value in (("seed", report.seed), ("adapter", report.adapter), ("url", report.url),
                        ("examples", report.examples), ("started", report.started),
                        ("replay", replay_command(report)), ("certificate", "partial" if report.partial else "full"),
                        ("operations", ",".join(report.operations)), ("scope", report.scope())):
        ElementTree.SubElement(properties, "property", name=name, value=clean(value))


def write_junit(report: Report, path: str | Path) -> None:
    """JUnit XML: the adapter's start, a testsuite per plan, a testcase per check, ``<failure>``/``<error>``
    with the evidence; the checks of plans left out (a partial certificate) as ``<skipped>``."""
    total, failures, errors = _counts(report.results)
    left_out = checks(list(report.plans_left_out)) if report.plans_left_out else []
    start_failed = report.start is not None and report.start.status != PASSED
    unfinished = _unfinished(report)
    no_check_ran = unfinished is not None and not report.interrupted
    name = "mockbank certify" + (" (INTERRUPTED)" if report.interrupted else "") \
        + (f" (PARTIAL: covers only {', '.join(report.operations)})" if report.partial else "")
    root = ElementTree.Element("testsuites", name=name,
                               tests=str(total + len(left_out) + (report.start is not None) + bool(unfinished)),
                               failures=str(failures + start_failed + no_check_ran),
                               errors=str(errors + report.interrupted), time=f"{report.seconds:.3f}")
    if report.start is not None:
        _junit_start(root, report, report.start)
    if unfinished is not None:
        _junit_unfinished(root, report, unfinished)
    for plan, results in report.plans().items():
        tests, failed, errored = _counts(results)
        suite = ElementTree.SubElement(root, "testsuite", name=clean(plan), tests=str(tests), failures=str(failed),
                                       errors=str(errored), skipped="0",
                                       time=f"{sum(r.seconds for r in results):.3f}",
                                       timestamp=clean(report.started[:19]))
        _properties(suite, report)
        for result in results:
            case = ElementTree.SubElement(suite, "testcase", classname=clean(f"mockbank.{plan}"),
                                          name=clean(result.name), time=f"{result.seconds:.3f}")
            if result.status == PASSED:
                continue
            tag = "error" if result.status == ERROR else "failure"
            problem = ElementTree.SubElement(case, tag, message=clean(result.message), type=result.status)
            problem.text = clean(_failure_text(report, result))
            stderr = evidence(result).stderr
            if stderr:
                ElementTree.SubElement(case, "system-err").text = clean(stderr)
    for plan, missing in report.plans_left_out.items():
        plan_checks = [check for check in left_out if check.plan == plan]
        suite = ElementTree.SubElement(root, "testsuite", name=clean(plan), tests=str(len(plan_checks)),
                                       failures="0", errors="0", skipped=str(len(plan_checks)), time="0.000",
                                       timestamp=clean(report.started[:19]))
        _properties(suite, report)
        for check in plan_checks:
            case = ElementTree.SubElement(suite, "testcase", classname=f"mockbank.{plan}", name=check.name, time="0")
            ElementTree.SubElement(case, "skipped", message=left_out_reason(missing))
    tree = ElementTree.ElementTree(root)
    ElementTree.indent(tree)
    tree.write(Path(path), encoding="utf-8", xml_declaration=True)


def _unfinished(report: Report) -> str | None:
    """Why the run is not a verdict on every check it meant to run, when its testcases do not show it: it was
    interrupted, or no check ran although the adapter started."""
    if report.interrupted:
        return (f"interrupted (Ctrl-C) after {len(report.results)} checks: the checks not run are missing, "
                "so this is not a certificate")
    started = report.start is None or report.start.status == PASSED
    if started and not report.results:
        return f"no check ran, so there is no certificate: {report.scope()}"
    return None


def _junit_unfinished(root: ElementTree.Element, report: Report, why: str) -> None:
    tag = "error" if report.interrupted else "failure"
    suite = ElementTree.SubElement(root, "testsuite", name="certify", tests="1", failures=str(int(tag == "failure")),
                                   errors=str(int(tag == "error")), skipped="0", time=f"{report.seconds:.3f}",
                                   timestamp=clean(report.started[:19]))
    _properties(suite, report)
    case = ElementTree.SubElement(suite, "testcase", classname="mockbank.certify",
                                  name="interrupted" if report.interrupted else "checks-ran", time="0")
    ElementTree.SubElement(case, tag, message=clean(why), type=tag).text = clean(why)


def _junit_start(root: ElementTree.Element, report: Report, start: StartResult) -> None:
    failed = start.status != PASSED
    suite = ElementTree.SubElement(root, "testsuite", name="adapter", tests="1", failures=str(int(failed)),
                                   errors="0", skipped="0", time=f"{start.seconds:.3f}",
                                   timestamp=clean(report.started[:19]))
    _properties(suite, report)
    case = ElementTree.SubElement(suite, "testcase", classname="mockbank.adapter", name="start",
                                  time=f"{start.seconds:.3f}")
    if failed:
        problem = ElementTree.SubElement(case, "failure", message=clean(start.message), type=FAILED)
        problem.text = clean(f"{start.message}\n\nadapter: {report.adapter}\n"
                              "no check ran: the adapter did not start")
    else:
        ElementTree.SubElement(case, "system-out").text = clean(start_line(start))
    if start.stderr:
        ElementTree.SubElement(case, "system-err").text = clean(cut(start.stderr, 20_000, keep="tail"))


# --------------------------------------------------------------------------- HTML

_CSS = """
:root { --ok: #1a7f37; --bad: #cf222e; --err: #9a6700; --line: #d0d7de; --soft: #f6f8fa; --ink: #1f2328;
        --mute: #59636e; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); margin: 0;
       background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
code, pre, .mono { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.mono { overflow-wrap: anywhere; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 6px 0;
      white-space: pre-wrap; word-break: break-all; overflow: auto; max-height: 32em; }
header.verdict { border-radius: 10px; padding: 18px 24px; color: #fff; margin-bottom: 18px; }
header.passed { background: var(--ok); }
header.partial { background: var(--err); }
header.failed { background: var(--bad); }
header.verdict h1 { font-size: 44px; margin: 0; letter-spacing: 2px; }
header.verdict p { margin: 4px 0 0; font-size: 17px; }
table { border-collapse: collapse; width: 100%; }
table.meta td { padding: 3px 12px 3px 0; vertical-align: top; }
table.meta td:first-child { color: var(--mute); white-space: nowrap; width: 1%; }
table.checks { margin: 8px 0 24px; }
table.checks th, table.checks td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
                                   vertical-align: top; }
table.checks tr.plan th { background: var(--soft); font-size: 16px; padding-top: 10px; }
table.checks tr.plan .count { font-weight: normal; color: var(--mute); margin-left: 8px; }
table.checks td.mark { width: 1.5em; font-weight: bold; font-size: 17px; }
table.checks td.secs { text-align: right; white-space: nowrap; color: var(--mute); }
tr.failed td.mark, .failed .mark { color: var(--bad); }
tr.error td.mark, .error .mark { color: var(--err); }
tr.passed td.mark { color: var(--ok); }
tr.failed td.name a, tr.error td.name a { color: var(--bad); font-weight: 600; }
.desc { color: var(--mute); }
section.problem { border: 1px solid var(--line); border-left: 6px solid var(--bad); border-radius: 6px;
                  margin: 18px 0; padding: 0 16px 10px; }
section.problem.error { border-left-color: var(--err); }
section.problem > h3 { margin: 12px 0 2px; font-size: 19px; }
.message { font-size: 16px; background: #fff1f0; border: 1px solid #ffcecb; border-radius: 6px; padding: 8px 12px;
           margin: 8px 0; white-space: pre-wrap; }
.error .message { background: #fff8c5; border-color: #eed888; }
h4 { margin: 14px 0 4px; font-size: 15px; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.columns > div { min-width: 0; }
.diagnosis { border: 1px solid #ffcecb; background: #fffafa; border-radius: 6px; padding: 8px 12px; }
.diagnosis .cause { font: bold 16px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--bad); }
.requestline { font-weight: 600; }
.status { color: var(--mute); font-weight: normal; }
details > summary { cursor: pointer; color: var(--mute); margin: 6px 0; }
.note { color: var(--mute); font-size: 13px; }
footer { color: var(--mute); font-size: 13px; margin-top: 32px; }
"""


def _e(value: Any) -> str:
    return html.escape(clean(value), quote=True)


def _pre(value: Any, css: str = "") -> str:
    text = value if isinstance(value, str) else to_json_text(value)
    return f'<pre class="{css}">{_e(cut(text))}</pre>' if css else f"<pre>{_e(cut(text))}</pre>"


def _anchor(result: CheckResult) -> str:
    return "check-" + re.sub(r"[^A-Za-z0-9_-]+", "-", result.id)


def _mark(status: str) -> str:
    return "✓" if status == PASSED else "✗"


def _html_header(report: Report) -> str:
    total, failures, errors = _counts(report.results)
    verdict = report.verdict
    if report.start is not None and report.start.status != PASSED:
        summary = "the adapter did not start: no check ran"
    elif report.interrupted:
        summary = f"interrupted (Ctrl-C): {total - failures - errors} of the {total} checks finished passed"
    else:
        summary = f"{total - failures - errors} of {total} checks passed"
    if failures:
        summary += f", {failures} failed"
    if errors:
        summary += f", {errors} could not run (kit errors)"
    if report.partial:
        summary += f"; a partial certificate: it covers only {', '.join(report.operations)}"
    rows = [("adapter", f"<code>{_e(report.adapter)}</code>"), ("emulator", f"<code>{_e(report.url)}</code>"),
            ("certificate", ("<strong>partial</strong>: " if report.partial else "full: ") + _e(report.scope())),
            ("seed", f"<code>{_e(report.seed)}</code> &nbsp;·&nbsp; {_e(report.examples)} examples per property"),
            ("replay", f"<code>{_e(replay_command(report))}</code>"),
            ("started", _e(report.started)),
            ("duration", _e(_seconds(report.seconds))
             + (f" &nbsp;·&nbsp; adapter started {_e(report.adapter_starts)}×" if report.adapter_starts else ""))]
    meta = "".join(f"<tr><td>{name}</td><td>{value}</td></tr>" for name, value in rows)
    title = "INTERRUPTED" if report.interrupted else verdict
    return (f'<header class="verdict {verdict.lower()}"><h1>{title}</h1><p>{_e(summary)}</p></header>'
            f'<table class="meta">{meta}</table>')


def _html_checks(report: Report) -> str:
    rows = []
    if report.start is not None:
        start = report.start
        name = "start" if start.status == PASSED else '<a href="#adapter-start">start</a>'
        rows.append('<tr class="plan"><th colspan="4">adapter</th></tr>'
                    f'<tr class="{_e(start.status)}"><td class="mark">{_mark(start.status)}</td>'
                    f'<td class="name">{name}</td><td class="desc">{_e(start_line(start))}</td>'
                    f'<td class="secs">{start.seconds:.2f} s</td></tr>')
    for plan, results in report.plans().items():
        good = sum(r.status == PASSED for r in results)
        rows.append(f'<tr class="plan"><th colspan="4">{_e(plan)}<span class="count">{good}/{len(results)} '
                    f'passed</span></th></tr>')
        for result in results:
            name = _e(result.name) if result.status == PASSED else \
                f'<a href="#{_anchor(result)}">{_e(result.name)}</a>' + \
                (' <span class="desc">(kit error)</span>' if result.status == ERROR else "")
            rows.append(f'<tr class="{_e(result.status)}"><td class="mark" title="{_e(result.status)}">'
                        f'{_mark(result.status)}</td><td class="name">{name}</td>'
                        f'<td class="desc">{_e(result.description)}</td>'
                        f'<td class="secs">{result.seconds:.2f} s</td></tr>')
    for plan, missing in report.plans_left_out.items():
        rows.append(f'<tr class="plan"><th colspan="4">{_e(plan)}<span class="count">not run: '
                    f'{_e(left_out_reason(missing))}</span></th></tr>')
    return ('<h2>Plans and checks</h2><table class="checks"><thead><tr><th></th><th>check</th><th>what it checks'
            '</th><th class="secs">time</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _html_start_problem(start: StartResult) -> str:
    return ('<section class="problem failed" id="adapter-start"><h3><span class="mark">✗</span> adapter/start '
            f'<span class="status">(failed, {start.seconds:.2f} s)</span></h3>'
            '<div class="desc">the adapter answers its first request (hello) within --adapter-start-timeout</div>'
            f'<div class="message">{_e(start.message)}</div>'
            + ("<h4>The adapter's stderr</h4>" + _pre(cut(start.stderr, 20_000, keep="tail")) if start.stderr else "")
            + "</section>")


def _html_request(report: Report, entry: dict[str, Any]) -> str:
    status = "connection dropped" if entry.get("dropped") else f"answered {entry.get('status')}"
    parts = [f'<h4>The request the client sent</h4><p class="requestline mono">{_e(entry.get("method"))} '
             f'{_e(request_url(entry, report.url).removeprefix(report.url.rstrip("/")))} '
             f'<span class="status">→ {_e(status)}</span></p>']
    headers = entry.get("headers") or {}
    authorization = _header(entry, "Authorization")
    parts.append("<div class=\"mono\">Authorization: " + (_e(authorization) if authorization is not None
                                                           else "<em>(none sent)</em>") + "</div>")
    decoded = _auth_object(entry)
    if decoded is not None:
        parts.append("<details><summary>the Authorization header decoded</summary>" + _pre(decoded) + "</details>")
    parts.append("<details><summary>all headers</summary>"
                 + _pre("\n".join(f"{key}: {value}" for key, value in headers.items())) + "</details>")
    body = entry.get("body")
    if body is not None:
        parts.append("<h4>Body</h4>" + _pre(body))
    elif entry.get("query"):
        parts.append("<h4>Query</h4>" + _pre(entry["query"]))
    return "".join(parts)


def _html_diagnosis(diagnosis: dict[str, Any]) -> str:
    rows = []
    if diagnosis.get("cause"):
        rows.append(f'<div>cause: <span class="cause">{_e(diagnosis["cause"])}</span></div>')
    if diagnosis.get("message"):
        rows.append(f"<div>{_e(diagnosis['message'])}</div>")
    if diagnosis.get("hint"):
        rows.append(f"<div><strong>hint:</strong> {_e(diagnosis['hint'])}</div>")
    if diagnosis.get("expectedPayload"):
        rows.append("<div>the payload the bank expected to be signed"
                    + (f" (hash <code>{_e(diagnosis['hashId'])}</code>)" if diagnosis.get("hashId") else "")
                    + ":</div>" + _pre(diagnosis["expectedPayload"], "payload"))
    extra = {k: v for k, v in diagnosis.items() if k not in ("ok", "cause", "message", "hint", "expectedPayload",
                                                               "hashId")}
    if extra:
        rows.append("<details><summary>more</summary>" + _pre(extra) + "</details>")
    return '<h4>Signature diagnosis</h4><div class="diagnosis">' + "".join(rows) + "</div>"


def _html_problem(report: Report, result: CheckResult) -> str:
    found = evidence(result)
    parts = [f'<section class="problem {_e(result.status)}" id="{_anchor(result)}">'
             f'<h3><span class="mark">{_mark(result.status)}</span> {_e(result.id)}'
             f' <span class="status">({"kit error" if result.status == ERROR else "failed"}, '
             f'{result.seconds:.2f} s)</span></h3>',
             f'<div class="desc">{_e(result.description)}</div>',
             f'<div class="message">{_e(result.message)}</div>']
    if found.failure and found.failure != result.message:
        parts.append("<h4>The adapter broke the protocol</h4>" + _pre(found.failure))
    if result.example is not None:
        parts.append("<h4>Example (shrunk)</h4>" + _pre(result.example))
    if found.exchange is not None:
        parts.append(f'<p class="note">The kit asked the adapter: <code>{_e(found.exchange.get("op"))}</code> '
                     f'(timeout {_e(found.exchange.get("timeoutMs"))} ms)</p>')
    if found.entry is not None:
        parts.append(_html_request(report, found.entry))
    elif found.exchange is not None:
        parts.append('<p class="note">The emulator\'s journal holds no request for this operation: the client '
                     "sent none, or the emulator had not answered it yet (an injected delay).</p>")
    if found.diagnosis:
        parts.append(_html_diagnosis(found.diagnosis))
    if found.expected is not None or found.reported is not None:
        left, right = (("expected", "reported") if found.from_result
                       else ("the emulator answered", "the adapter replied"))
        parts.append(f'<h4>Expected vs reported</h4><div class="columns"><div><strong>{left}</strong>'
                     f'{_pre(found.expected)}</div><div><strong>{right}</strong>{_pre(found.reported)}</div></div>')
    if found.stderr:
        parts.append("<h4>The adapter's stderr</h4>" + _pre(found.stderr))
    if found.entry is not None:
        parts.append("<h4>Replay the request</h4>" + _pre(curl_line(found.entry, report.url), "curl")
                     + '<p class="note">Sent again later, the request may be refused as a repeat (same requestId '
                       "or paymentIds) or because the header's time is outside the emulator's clock-skew window; "
                       "<code>POST /_mock/reset</code> forgets earlier requests.</p>")
    if result.exchanges:
        parts.append(f"<details><summary>every exchange of this example ({len(result.exchanges)})</summary>"
                     + "".join(_html_exchange(report, index, exchange)
                               for index, exchange in enumerate(result.exchanges, 1)) + "</details>")
    parts.append("</section>")
    return "".join(parts)


def _html_exchange(report: Report, index: int, exchange: dict[str, Any]) -> str:
    lines = []
    for entry in exchange.get("requests") or []:
        verdict = entry.get("verdict") or {}
        judged = "signature ok" if verdict.get("ok") else f"signature refused: {verdict.get('cause')}" \
            if verdict else "no verdict"
        status = "dropped" if entry.get("dropped") else entry.get("status")
        lines.append(f"{entry.get('method')} {request_url(entry, report.url)} -> {status} ({judged})")
    reply = exchange.get("reply") if exchange.get("failure") is None else exchange["failure"]
    return (f"<h4>{index}. {_e(exchange.get('op'))}</h4><strong>params</strong>{_pre(exchange.get('params'))}"
            f"<strong>requests</strong>{_pre(chr(10).join(lines) or '(none)')}<strong>reply</strong>{_pre(reply)}")


def render_html(report: Report) -> str:
    """The HTML page as text."""
    problems = [result for result in report.results if result.status != PASSED]
    body = [_html_header(report), _html_checks(report)]
    if report.start is not None and report.start.status != PASSED:
        body += ["<h2>What went wrong</h2>", _html_start_problem(report.start)]
    elif problems:
        body.append(f"<h2>What went wrong ({len(problems)})</h2>")
        body += [_html_problem(report, result) for result in problems]
    elif not report.results:
        body.append(f"<p>{_e(_unfinished(report) or 'No check ran.')}</p>")
    body.append(f"<footer>mockbank certify · report written for seed {_e(report.seed)} · "
                "report.json holds every detail; junit.xml is for CI.</footer>")
    verdict = report.verdict
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>mockbank certify: {'INTERRUPTED' if report.interrupted else verdict}</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(body)}</main></body></html>\n")


def write_html(report: Report, path: str | Path) -> None:
    """One self-contained HTML page (inline CSS, no scripts, no external assets)."""
    Path(path).write_text(render_html(report), encoding="utf-8", errors="replace")


# --------------------------------------------------------------------------- all three


def write_reports(report: Report, directory: str | Path) -> dict[str, Path]:
    """Write ``junit.xml``, ``report.html`` and ``report.json`` into ``directory`` (created); their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"junit": folder / "junit.xml", "html": folder / "report.html", "json": folder / "report.json"}
    write_junit(report, paths["junit"])
    write_html(report, paths["html"])
    paths["json"].write_text(to_json_text(report.to_json(), indent=1) + "\n", encoding="utf-8", errors="replace")
    return paths
