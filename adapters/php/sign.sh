#!/usr/bin/env bash
# Reads one JSON object {"serviceProvider", "apiKey", "account", "integrationCode", "requestId",
# "time", "transactions"?} on stdin and prints the Authorization header value of
# src/BankIntegrationSigner.php. PHP needs no build step.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v php >/dev/null || { echo "sign: php is not on PATH (Debian: apt-get install php-cli php-curl)" >&2; exit 1; }
exec php "$here/sign.php"
