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
# weft_identify_jvm JAVA: which JVM that is, in $weft_jvm_id as "<real path of java> <JAVA_VERSION>
# <JAVA_RUNTIME_VERSION>" from its runtime's release file, and its feature release in $weft_jvm_feature
# (0 when unknown). A class archive fits only the JVM build that made it: the archive scripts write this
# id next to each archive and the launchers compare it. No process is started unless java comes from PATH
# or is a symlink (bin/weft runs on every pod ADD and DEL). A java path that is not itself a symlink is
# taken as given.
weft_identify_jvm() {
  weft_jvm_path=$1
  case $weft_jvm_path in
    */*) ;;
    *) weft_jvm_path=$(command -v "$weft_jvm_path") ;;
  esac
  if [ -h "$weft_jvm_path" ]; then
    weft_jvm_path=$(readlink -f "$weft_jvm_path")
  fi
  weft_jvm_feature=0
  weft_jvm_version=
  weft_jvm_runtime=
  if [ -r "${weft_jvm_path%/bin/java}/release" ]; then
    while IFS= read -r weft_jvm_line; do
      case $weft_jvm_line in
        JAVA_VERSION=*)
          weft_jvm_version=${weft_jvm_line#JAVA_VERSION=\"}
          weft_jvm_version=${weft_jvm_version%\"}
          weft_jvm_feature=${weft_jvm_version%%[!0-9]*}
          weft_jvm_feature=${weft_jvm_feature:-0}
          ;;
        JAVA_RUNTIME_VERSION=*)
          weft_jvm_runtime=${weft_jvm_line#JAVA_RUNTIME_VERSION=\"}
          weft_jvm_runtime=${weft_jvm_runtime%\"}
          ;;
      esac
      # Both found: stop. The shell's read takes one byte per system call, and the rest of the file
      # (MODULES, build info) is ~1.5 KB of it, about a millisecond of every pod ADD and DEL.
      [ -n "$weft_jvm_version" ] && [ -n "$weft_jvm_runtime" ] && break
    done < "${weft_jvm_path%/bin/java}/release"
  fi
  weft_jvm_id="$weft_jvm_path $weft_jvm_version $weft_jvm_runtime"
}
