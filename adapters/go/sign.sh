#!/usr/bin/env bash
# Reads one JSON object {"serviceProvider", "apiKey", "account", "integrationCode", "requestId",
# "time", "transactions"?} on stdin and prints the Authorization header value of package signer.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build.sh"
exec "$here/bin/sign"
