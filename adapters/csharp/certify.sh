#!/usr/bin/env bash
# Builds the C# adapter when needed, then certifies it:
#   ./certify.sh [mockbank certify options: --examples N, --report DIR, --url URL, ...]
# Set MOCKBANK to the mockbank command if it is not on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/build.sh"
exec "${MOCKBANK:-mockbank}" certify --adapter "mono $(printf '%q' "$here/bin/Adapter.exe")" "$@"
