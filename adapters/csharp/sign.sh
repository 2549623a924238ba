#!/usr/bin/env bash
# Reads one JSON object on stdin and prints the Authorization header that BankIntegrationSigner.cs produces:
#   {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?}
# Builds first when needed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/build.sh"
exec mono "$here/bin/sign.exe"
