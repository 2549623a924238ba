#!/usr/bin/env bash
# Certifies adapter.mjs (signer.mjs + node:http) with mockbank; options go to `mockbank certify`:
#   ./certify.sh --examples 5 --report /tmp/report
# MOCKBANK names the mockbank command (default: mockbank on PATH). Node.js needs no build step.
set -euo pipefail
# One word of the --adapter command line, which mockbank splits as a POSIX shell would: the text in single
# quotes, each ' written '\''. (printf %q is no good here: under LC_ALL=C it writes a path with æøå as $'...'.)
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
here="$(cd "$(dirname "$0")" && pwd)"
exec "${MOCKBANK:-mockbank}" certify --adapter "node $(quote "$here/adapter.mjs")" "$@"
