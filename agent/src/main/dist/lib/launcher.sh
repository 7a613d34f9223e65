# Shared by the bin/ launchers (POSIX sh, sourced). Expects WEFT_HOME to be set by the caller.
# Picks the JVM: $WEFT_JAVA, else $JAVA_HOME/bin/java, else `java` on PATH.
if [ -n "${WEFT_JAVA:-}" ]; then
  weft_java=$WEFT_JAVA
elif [ -n "${JAVA_HOME:-}" ]; then
  weft_java=$JAVA_HOME/bin/java
else
  weft_java=java
fi
if ! command -v "$weft_java" >/dev/null 2>&1; then
  echo "weft: no Java runtime found (tried ${weft_java}); set WEFT_JAVA or JAVA_HOME, or put java (17+) on PATH" >&2
  exit 1
fi
weft_lib=$WEFT_HOME/lib
# Which JVM a java command is (its real path): a CDS archive is used only with the JVM that made it.
weft_jvm_id() {
  weft_jvm_path=$(command -v "$1") && readlink -f "$weft_jvm_path"
}
