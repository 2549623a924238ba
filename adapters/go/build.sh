#!/usr/bin/env bash
# Builds bin/adapter and bin/sign with the local Go toolchain when either is missing or older
# than a source file. Build messages go to stderr (stdout may carry a signature or replies).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v go >/dev/null || { echo "build: go is not on PATH (install Go 1.21 or later)" >&2; exit 1; }

stale=false
for output in bin/adapter bin/sign; do
  if [[ ! -x $output ]] || [[ -n $(find . -path ./bin -prune -o \( -name '*.go' -o -name go.mod \) \
                                        -newer "$output" -print -quit) ]]; then
    stale=true
  fi
done
if $stale; then
  echo "build: go build -o bin/ ./cmd/..." >&2
  GOTOOLCHAIN=local go build -o bin/ ./cmd/... >&2 || { echo "build: go build failed (see above)" >&2; exit 1; }
  touch bin/adapter bin/sign  # go build leaves an unchanged binary's time alone
fi
