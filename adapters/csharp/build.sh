#!/usr/bin/env bash
# Builds bin/Adapter.exe and bin/sign.exe with Mono's mcs when they are missing or older than a source.
# Used by sign.sh and certify.sh; run it by hand to build. Build output goes to stderr only.
set -euo pipefail
cd "$(dirname "$0")"

NEWTONSOFT=${NEWTONSOFT_JSON_DLL:-/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll}
SOURCES=(BankIntegrationSigner.cs KitJson.cs Adapter.cs SignCommand.cs)

for tool in mcs mono; do
  command -v "$tool" >/dev/null || { echo "build: '$tool' is not on PATH (Debian: apt-get install mono-mcs)" >&2; exit 3; }
done
[ -f "$NEWTONSOFT" ] || { echo "build: Json.NET not found at $NEWTONSOFT (Debian: apt-get install libnewtonsoft-json5.0-cil)" >&2; exit 3; }

stale() {  # stale OUTPUT: true when OUTPUT is missing or older than any source or this script
  local output=$1 source
  [ -f "$output" ] || return 0
  for source in "${SOURCES[@]}" build.sh; do
    [ "$source" -nt "$output" ] && return 0
  done
  return 1
}

compile() {  # compile OUTPUT MAIN-CLASS FILE...
  local output=$1 main=$2; shift 2
  mcs -nologo -warnaserror+ -out:"$output" -main:"$main" \
      -r:System.Net.Http.dll -r:"$NEWTONSOFT" "$@" >&2
}

mkdir -p bin
# Json.NET next to the programs, so mono finds it without the GAC.
cp -pu "$NEWTONSOFT" bin/Newtonsoft.Json.dll
if stale bin/Adapter.exe; then
  echo "build: bin/Adapter.exe" >&2
  compile bin/Adapter.exe BankIntegration.Kit.Adapter BankIntegrationSigner.cs KitJson.cs Adapter.cs
fi
if stale bin/sign.exe; then
  echo "build: bin/sign.exe" >&2
  compile bin/sign.exe BankIntegration.Kit.SignCommand BankIntegrationSigner.cs KitJson.cs SignCommand.cs
fi
