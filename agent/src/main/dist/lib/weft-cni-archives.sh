#!/bin/sh
# Build time (agent/pom.xml at package, docker/Dockerfile for the host runtime): makes the class archives
# bin/weft starts the CNI plugin's JVM with, in the lib/ directory this script is in, for the JVMs the
# launcher may run (usage: weft-cni-archives.sh JAVA...; the first JVM of each kind wins):
#   weft-cni.aot  AOT cache, by the first JVM that can make one (JDK 25+: -XX:AOTCacheOutput)
#   weft-cni.jsa  AppCDS archive, by the first JVM that cannot (JDK 17/21)
# Both are recorded from io.weft.cni.CdsTraining (ADD and DEL against a stand-in agent, an unreachable
# agent, VERSION) with the launcher's JVM flags and classpath string. Next to each, <archive>.jvm names
# the JVM that made it (real path of its java, versions) in the form bin/weft compares with the JVM it is
# about to run: an archive only fits the JVM build that made it.
set -eu
lib=$(cd "$(dirname "$0")" && pwd -P)
cp=$lib/weft-cni-adapter.jar
flags="-XX:+UseSerialGC -Xint -XX:-UsePerfData"
# The JVM ids next to the archives come from launcher.sh, the same code bin/weft compares them with.
WEFT_HOME=$(dirname "$lib")
WEFT_JAVA=${1:-${WEFT_JAVA:-}}
. "$lib/launcher.sh"
jvm_id() {
  weft_identify_jvm "$1"
  printf '%s\n' "$weft_jvm_id"
}
rm -f "$lib/weft-cni.aot" "$lib/weft-cni.aot.jvm" "$lib/weft-cni.jsa" "$lib/weft-cni.jsa.jvm"
# A JVM that cannot make its archive (e.g. a jlink'ed 17 without a base CDS archive) only costs start-up
# time, so it is a warning; the launcher runs without (CniMainTest runs the training itself).
# train ARCHIVE WHAT JAVA FLAG...: records lib/ARCHIVE from the training run with FLAG..., and next to it the
# JVM that made it; a JVM that makes none leaves no archive behind, only a warning. The run is silent (a JDK 25
# AOT run echoes its whole command line on stderr); repeat it by hand to see why one failed.
train() {
  archive=$1 what=$2 java=$3
  shift 3
  if "$java" "$@" $flags -cp "$cp" io.weft.cni.CdsTraining > /dev/null 2>&1 && [ -s "$lib/$archive" ]; then
    chmod 0644 "$lib/$archive"
    jvm_id "$java" > "$lib/$archive.jvm"
    echo "weft-cni-archives: lib/$archive for $(cat "$lib/$archive.jvm")"
  else
    rm -f "$lib/$archive"
    echo "weft-cni-archives: warning: $java made no $what" >&2
  fi
}
for java in "$@"; do
  if "$java" -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ' AOTCacheOutput '; then
    [ -f "$lib/weft-cni.aot" ] || train weft-cni.aot "AOT cache" "$java" \
      "-XX:AOTCacheOutput=$lib/weft-cni.aot" -Djdk.reflect.useNativeAccessorOnly=true
  else
    [ -f "$lib/weft-cni.jsa" ] || train weft-cni.jsa "AppCDS archive" "$java" \
      "-XX:ArchiveClassesAtExit=$lib/weft-cni.jsa" -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off
  fi
done
