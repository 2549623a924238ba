#!/usr/bin/env bash
# Builds the C# adapter when needed, then certifies it:
#   ./certify.sh [mockbank certify options: --examples N, --report DIR, --url URL, ...]
# Set MOCKBANK to the mockbank command if it is not on PATH.
set -euo pipefail
# One word of the --adapter command line, which mockbank splits as a POSIX shell would: the text in single
# quotes, each ' written '\''. (printf %q is no good here: under LC_ALL=C it writes a path with æøå as $'...'.)
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
here="$(cd "$(dirname "$0")" && pwd)"
"$here/build.sh"
exec "${MOCKBANK:-mockbank}" certify --adapter "mono $(quote "$here/bin/Adapter.exe")" "$@"
