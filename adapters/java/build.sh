#!/usr/bin/env bash
# Builds target/bankintegration-kit.jar (the adapter, the signer and Jackson in one jar) when it is missing
# or older than pom.xml or any source file. Maven's output goes to stderr: the callers' stdout carries only
# their results. Used by sign.sh and certify.sh; run it by hand to build ahead (e.g. in CI).
set -euo pipefail
cd "$(dirname "$0")"
. ./utf8-locale.sh
jar=target/bankintegration-kit.jar

if [[ -f $jar && -z $(find pom.xml src -newer "$jar" -print -quit) ]]; then
    exit 0
fi
if ! command -v mvn >/dev/null; then
    echo "build.sh: mvn (Apache Maven 3.6 or later) is not on PATH; install it, e.g. apt-get install maven" >&2
    exit 127
fi
echo "build.sh: building $jar with Maven" >&2
# Offline first: quick, and no network once ~/.m2 holds the plugins and Jackson. Online when something
# is missing there (the first build on a machine downloads about 10 MB from Maven Central).
if ! mvn -B -q -o package </dev/null >/dev/null 2>&1; then
    if ! mvn -B -q package </dev/null >&2; then
        echo "build.sh: the Maven build failed (its output is above)" >&2
        exit 1
    fi
fi
