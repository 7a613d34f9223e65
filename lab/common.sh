# Shared by lab/demo.sh and lab/bench.sh (POSIX sh, sourced after $root is set): root check,
# tools, the JVM to use, and "build when the tree is missing or a source is newer than it".
if [ "$(id -u)" != 0 ]; then
  echo "$(basename "$0"): needs root (it creates network namespaces): sudo lab/$(basename "$0")" >&2
  exit 1
fi
for tool in ip ping; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$(basename "$0"): $tool not found (install iproute2 and iputils-ping)" >&2; exit 1; }
done

if [ -n "${WEFT_JAVA:-}" ]; then lab_java=$WEFT_JAVA
elif [ -n "${JAVA_HOME:-}" ]; then lab_java=$JAVA_HOME/bin/java
else lab_java=java; fi

# A caller may ask for another goal every time (bench.sh: install, its -pl runs resolve from ~/.m2).
if [ -n "${lab_build_goal:-}" ]; then
  echo "building Weft (mvn -B -q -DskipTests $lab_build_goal) ..."
  (cd "$root" && mvn -B -q -DskipTests "$lab_build_goal")
  touch "$root/lab/target/classes"
elif [ ! -x "$root/agent/target/weft/bin/weft-agent" ] || [ ! -d "$root/lab/target/classes" ] \
   || [ ! -d "$root/lab/target/lib" ] \
   || [ -n "$(find "$root" -path '*/src/main/*' -newer "$root/lab/target/classes" -type f 2>/dev/null | head -n 1)" ]; then
  echo "building Weft (mvn -B -q -DskipTests package) ..."
  (cd "$root" && mvn -B -q -DskipTests package)
  touch "$root/lab/target/classes"
fi

lab_cp="$root/lab/target/classes:$root/lab/target/lib/*"
