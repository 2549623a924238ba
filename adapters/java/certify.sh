#!/usr/bin/env bash
# Builds the Java adapter when needed, then certifies it: certify.sh [mockbank certify options], e.g.
#   ./certify.sh --examples 5 --report /tmp/java-report
# Runs "${MOCKBANK:-mockbank}" and exits with its status.
set -euo pipefail
# One word of the --adapter command line, which mockbank splits as a POSIX shell would: the text in single
# quotes, each ' written '\''. (printf %q is no good here: under LC_ALL=C it writes a path with æøå as $'...'.)
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/utf8-locale.sh"
"$here/build.sh" </dev/null
exec "${MOCKBANK:-mockbank}" certify --adapter "java -jar $(quote "$here/target/bankintegration-kit.jar")" "$@"
