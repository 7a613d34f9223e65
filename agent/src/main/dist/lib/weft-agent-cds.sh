#!/bin/sh
# Makes lib/weft-agent.jsa, the AppCDS archive bin/weft-agent maps at start: the ~5,500 classes of a start
# (JDK, picocli, logback, jnr-ffi, JGroups, Jackson, Netty, Prometheus, Weft) are parsed and verified here
# once instead of at every start; measured in notes/agent-session2.md (start-up to the mesh join about
# halved). Needs no root and no network: it only loads the classes named in lib/weft-agent.classlist.
# The archive fits only the JVM that made it (and these exact jars at this path): bin/weft-agent uses it
# only with the JVM recorded in lib/weft-agent.jsa.jvm and otherwise starts without it. Re-run this after
# moving the tree or with another JVM, e.g. in an image:  sh /opt/weft/lib/weft-agent-cds.sh /opt/java/bin/java
# The class list comes from real agent runs (-XX:DumpLoadedClassList): see its header.
# Usage: sh lib/weft-agent-cds.sh [JAVA]   (default: the JVM bin/weft-agent would pick)
set -eu
lib=$(cd "$(dirname "$0")" && pwd -P)
WEFT_HOME=$(dirname "$lib")
if [ $# -gt 0 ]; then WEFT_JAVA=$1; fi
. "$lib/launcher.sh"
rm -f "$lib/weft-agent.jsa" "$lib/weft-agent.jsa.jvm"
# The same GC and classpath string as bin/weft-agent: the archive records them.
"$weft_java" -Xshare:dump -XX:SharedClassListFile="$lib/weft-agent.classlist" \
  -XX:SharedArchiveFile="$lib/weft-agent.jsa" -XX:+UseSerialGC -Xlog:cds=off -Xlog:cds+heap=off \
  -cp "$weft_lib/*" > /dev/null
weft_identify_jvm "$weft_java"
printf '%s\n' "$weft_jvm_id" > "$lib/weft-agent.jsa.jvm"
chmod 0644 "$lib/weft-agent.jsa" "$lib/weft-agent.jsa.jvm"
