#!/usr/bin/env bash
# Builds the adapter if needed, then certifies it: certify.sh [mockbank certify options]
# (--examples N, --report DIR, --url URL, ...). Exits with certify's status.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build.sh"
exec "${MOCKBANK:-mockbank}" certify --adapter "$(printf '%q' "$here/bin/adapter")" "$@"
