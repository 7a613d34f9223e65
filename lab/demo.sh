#!/bin/sh
# Weft's main job on one machine: a 3-node mesh in network namespaces with 2 pods per node pinging
# across nodes (see README). Needs root; builds first when needed. Usage: sudo lab/demo.sh [--keep]
set -eu
self=$0
while [ -h "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac
done
root=$(cd "$(dirname "$self")/.." && pwd -P)

if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: needs root (it creates network namespaces): sudo lab/demo.sh $*" >&2
  exit 1
fi
for tool in ip ping; do
  command -v "$tool" >/dev/null 2>&1 || { echo "demo.sh: $tool not found (install iproute2 and iputils-ping)" >&2; exit 1; }
done

if [ -n "${WEFT_JAVA:-}" ]; then java=$WEFT_JAVA
elif [ -n "${JAVA_HOME:-}" ]; then java=$JAVA_HOME/bin/java
else java=java; fi

# Build when the tree is missing or a source is newer than it.
built=$root/agent/target/weft/bin/weft-agent
if [ ! -x "$built" ] || [ ! -d "$root/lab/target/classes" ] || [ ! -d "$root/lab/target/lib" ] \
   || [ -n "$(find "$root" -path '*/src/main/*' -newer "$root/lab/target/classes" -type f 2>/dev/null | head -n 1)" ]; then
  echo "building Weft (mvn -B -q -DskipTests package) ..."
  (cd "$root" && mvn -B -q -DskipTests package)
  touch "$root/lab/target/classes"
fi

exec "$java" -XX:+UseSerialGC -Xmx128m -Dlab.log.level=WARN \
  -Dweft.home="$root/agent/target/weft" -Dlab.logs="$root/lab/target/lab-logs" \
  -cp "$root/lab/target/classes:$root/lab/target/lib/*" io.weft.lab.Demo "$@"
