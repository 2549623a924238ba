#!/usr/bin/env bash
# Builds the Java adapter when needed, then certifies it: certify.sh [mockbank certify options], e.g.
#   ./certify.sh --examples 5 --report /tmp/java-report
# Runs "${MOCKBANK:-mockbank}" and exits with its status.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/build.sh" </dev/null
printf -v jar '%q' "$here/target/bankintegration-kit.jar"
exec "${MOCKBANK:-mockbank}" certify --adapter "java -jar $jar" "$@"
