#!/usr/bin/env bash
# Certifies adapter.py (bankintegration_signer.py + requests) with mockbank; options go to `mockbank certify`:
#   ./certify.sh --examples 5 --report /tmp/report
# MOCKBANK names the mockbank command (default: mockbank on PATH). Python needs no build step;
# mockbank runs a "python3" adapter command with its own interpreter, which has requests.
set -euo pipefail
# One word of the --adapter command line, which mockbank splits as a POSIX shell would: the text in single
# quotes, each ' written '\''. (printf %q is no good here: under LC_ALL=C it writes a path with æøå as $'...'.)
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
here="$(cd "$(dirname "$0")" && pwd)"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"  # the signer beside the adapter, even under python -P
exec "${MOCKBANK:-mockbank}" certify --adapter "python3 $(quote "$here/adapter.py")" "$@"
