"""``mockbank serve``'s app as a WSGI module, to measure it under other servers (gunicorn; granian is
``mockbank serve --server granian`` itself).

The bank is built the way ``mockbank serve --progression manual --max-clock-skew off`` builds it, over the
database named by ``$MOCKBANK_BENCH_DB``; every worker process that imports this module opens its own store.

    python bench/serve_app.py --seed /tmp/bench.db        # seed it once, before the workers start
    MOCKBANK_BENCH_DB=/tmp/bench.db granian --interface wsgi --working-dir bench serve_app:app
    MOCKBANK_BENCH_DB=/tmp/bench.db gunicorn --chdir bench -k gthread --threads 8 serve_app:app
"""

from __future__ import annotations

import argparse
import os

from mockbank.app import create_app
from mockbank.server import ServeOptions, build_bank
from mockbank.settings import Settings

#: What the benchmark's ``mockbank serve`` is started with: pre-signed requests stay valid, statuses stay put.
BENCH_SETTINGS = Settings(progression="manual", max_clock_skew=None)


def make_app(db: str):
    bank, _ = build_bank(ServeOptions(db=db), BENCH_SETTINGS)
    return create_app(bank)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", metavar="DB", required=True, help="seed this database file and exit")
    args = parser.parse_args()
    bank, _ = build_bank(ServeOptions(db=args.seed), BENCH_SETTINGS)
    bank.store.close()


if __name__ == "__main__":
    main()
elif "MOCKBANK_BENCH_DB" in os.environ:
    app = make_app(os.environ["MOCKBANK_BENCH_DB"])
