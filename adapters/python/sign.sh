#!/usr/bin/env bash
# Prints the Authorization header that bankintegration_signer.py produces for the request on stdin:
#   {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?}
# time is UTC yyyy-MM-ddTHH:mm:ss. Python needs no build step.
set -euo pipefail
exec "${PYTHON:-python3}" "$(dirname "$0")/sign_stdin.py"
