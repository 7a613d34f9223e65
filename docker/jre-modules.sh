#!/bin/sh
# Prints the Java modules the agent's runtime needs, comma-separated, for `jlink --add-modules`: the ones
# the jars use (jdeps), plus the providers the JDK finds only by a service lookup at run time, which jdeps
# cannot see in the bytecode:
#   jdk.crypto.ec  X25519 and Ed25519 (the mesh handshake and the node key; SunEC lives there on JDK 17-21)
# Used by docker/Dockerfile and by DockerfileTest, which jlinks a runtime with it and runs the agent's
# crypto on it.
# Usage: sh docker/jre-modules.sh LIBDIR   (the agent tree's lib/, e.g. agent/target/weft/lib)
set -eu
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: sh docker/jre-modules.sh LIBDIR (the agent tree's lib/)" >&2
  exit 2
fi
used=$(jdeps --ignore-missing-deps --multi-release 17 --print-module-deps "$1"/*.jar)
printf '%s,jdk.crypto.ec\n' "$used"
