#!/usr/bin/env bash
# Prints the Authorization header value that BankIntegrationSigner.java produces for the JSON object on
# stdin: {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?}
# with time as yyyy-MM-ddTHH:mm:ss (UTC). Builds the jar first when needed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/build.sh" </dev/null
exec java -XX:TieredStopAtLevel=1 -cp "$here/target/bankintegration-kit.jar" dk.mockbank.kit.SignCommand
