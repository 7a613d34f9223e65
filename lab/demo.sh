#!/bin/sh
# Weft's main job on one machine: a 3-node mesh in network namespaces with 2 pods per node pinging
# across nodes (see README). Needs root; builds first when needed.
# Usage: sudo lab/demo.sh [--keep] [--nodes N] [--pods M] [--segments S] [--tunnel auto|always|never]
set -eu
self=$0
while [ -h "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac
done
root=$(cd "$(dirname "$self")/.." && pwd -P)
. "$root/lab/common.sh"

exec "$lab_java" -XX:+UseSerialGC -Xmx128m -Dlab.log.level=WARN \
  -Dweft.home="$root/agent/target/weft" -Dlab.logs="$root/lab/target/lab-logs" \
  -cp "$lab_cp" io.weft.lab.Demo "$@"
