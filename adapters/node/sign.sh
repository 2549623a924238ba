#!/usr/bin/env bash
# Prints the Authorization header that signer.mjs produces for the request on stdin:
#   {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?}
# time is UTC yyyy-MM-ddTHH:mm:ss. Node.js needs no build step.
set -euo pipefail
exec node "$(dirname "$0")/sign-stdin.mjs"
