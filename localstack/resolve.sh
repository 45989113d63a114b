#!/usr/bin/env bash
# Resolves one local-stack server (kafka | cassandra | flink | s3proxy) from Maven Central into <out>/<server>/lib.
# Called by the build (exec-maven-plugin, generate-resources); skipped when already resolved.
set -euo pipefail
server="$1"; mkdir -p "$2"; out="$(cd "$2" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
lib="$out/$server/lib"
stamp="$out/$server/.resolved"
if [[ -f "$stamp" && "$stamp" -nt "$here/$server/pom.xml" ]]; then exit 0; fi
rm -rf "$lib"; mkdir -p "$lib"
mvn_cmd="${MAVEN_CMD:-mvn}"
"$mvn_cmd" -B -q -Dstyle.color=never -f "$here/$server/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$lib"
touch "$stamp"
