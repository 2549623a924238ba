#!/usr/bin/env bash
# Certifies the PHP adapter: certify.sh [mockbank certify options] (--examples N, --report DIR,
# --url URL, ...). Exits with certify's status. PHP needs no build step.
set -euo pipefail
# One word of the --adapter command line, which mockbank splits as a POSIX shell would: the text in single
# quotes, each ' written '\''. (printf %q is no good here: under LC_ALL=C it writes a path with æøå as $'...'.)
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v php >/dev/null || { echo "certify: php is not on PATH (Debian: apt-get install php-cli php-curl)" >&2; exit 1; }
php -r 'exit(extension_loaded("curl") ? 0 : 1);' \
  || { echo "certify: PHP's curl extension is missing (Debian: apt-get install php-curl)" >&2; exit 1; }
exec "${MOCKBANK:-mockbank}" certify --adapter "php -d display_errors=stderr $(quote "$here/adapter.php")" "$@"
