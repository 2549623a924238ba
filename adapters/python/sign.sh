#!/usr/bin/env bash
# Prints the Authorization header that bankintegration_signer.py produces for the request on stdin:
#   {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?}
# time is UTC yyyy-MM-ddTHH:mm:ss. Python needs no build step.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"  # the signer beside the script, even under python -P
exec "${PYTHON:-python3}" "$here/sign_stdin.py"
