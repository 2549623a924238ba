"""The benchmark's baseline: a bare Flask ``POST /payment`` (reads the JSON body, checks nothing),
served by waitress the way ``mockbank serve`` serves the emulator.

    python bench/bare_app.py --port 8090 --threads 8
"""

from __future__ import annotations

import argparse

import waitress
from flask import Flask, jsonify, request

app = Flask("bare")


@app.post("/payment")
def echo():
    body = request.get_json(force=True)
    return jsonify({"ok": True, "requestId": body.get("requestId") if isinstance(body, dict) else None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    waitress.serve(app, host="127.0.0.1", port=args.port, threads=args.threads, ident="bare",
                   clear_untrusted_proxy_headers=True)


if __name__ == "__main__":
    main()
