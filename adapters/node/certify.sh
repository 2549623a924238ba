#!/usr/bin/env bash
# Certifies adapter.mjs (signer.mjs + node:http) with mockbank; options go to `mockbank certify`:
#   ./certify.sh --examples 5 --report /tmp/report
# MOCKBANK names the mockbank command (default: mockbank on PATH). Node.js needs no build step.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec "${MOCKBANK:-mockbank}" certify --adapter "node \"$here/adapter.mjs\"" "$@"
