#!/bin/sh
# Runs every benchmark in the repo and writes docs/benchmarks.md: each Weft figure beside its
# reference, measured in the same run on the same machine. Needs root (namespaces); builds first.
# Usage: sudo lab/bench.sh [--max-nodes N]   (lab join convergence at N=3 and at N, dead-seed join,
#        restart with a dead remembered peer, RSS/idle CPU, meshctl at N, cold mesh of N; kill -9 and SIGSTOP
#        in fresh 3-node labs; the Calico side-by-side and issue #5 goal tables; default N 6; the data paths:
#        direct and VXLAN against hand-made twins, masquerade against one MASQUERADE rule, needs iperf3;
#        podman run -d with Weft, bridge+host-local and no network, needs podman, runc and busybox-static)
#        BENCH_GOSSIP_ARGS="10 100" sudo -E lab/bench.sh   (gossip simulation sizes; default "10 100 300", ~5 min with the
#        stock-JGroups reference at N <= 100; the whole run takes ~15 min)
#        LAB_PREFIX=wlb2- sudo -E lab/bench.sh   (namespaces named wlb2-*, so it can run beside another lab)
set -eu
self=$0
while [ -h "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac
done
root=$(cd "$(dirname "$self")/.." && pwd -P)
# The -pl runs below resolve the other modules from the local repository: install them all first.
lab_build_goal=install
. "$root/lab/common.sh"

max_nodes=6
gossip_args=${BENCH_GOSSIP_ARGS:-10 100 300}
while [ $# -gt 0 ]; do
  case $1 in
    --max-nodes) max_nodes=$2; shift 2 ;;
    -h|--help) echo "usage: sudo lab/bench.sh [--max-nodes N]"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/wlab-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
names=""

# bench NAME "COMMAND AS SHOWN" COMMAND...: runs one benchmark, keeps its stdout, stderr and status.
bench() {
  name=$1; shown=$2; shift 2
  names="$names $name"
  printf '%s\n' "$shown" > "$work/$name.cmd"
  echo "== $name: $shown"
  started=$(date +%s)
  if "$@" > "$work/$name.out" 2> "$work/$name.err"; then
    echo "ok" > "$work/$name.status"
  else
    echo "FAILED (exit $?; last lines of its output below)" > "$work/$name.status"
  fi
  echo "   $(cat "$work/$name.status") in $(( $(date +%s) - started ))s"
}

bench dataplane "mvn -B -q -Dstyle.color=never -Pbench -pl dataplane test-compile exec:exec" \
  sh -c "cd '$root' && mvn -B -q -Dstyle.color=never -Pbench -pl dataplane test-compile exec:exec"
bench gossip "mvn -B -q -Dstyle.color=never -pl gossip test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.weft.gossip.MeshBenchmark -Dexec.args=\"$gossip_args\"" \
  sh -c "cd '$root' && mvn -B -q -Dstyle.color=never -pl gossip test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.weft.gossip.MeshBenchmark -Dexec.args='$gossip_args'"
bench gossip-tcp "mvn -B -q -Dstyle.color=never -pl gossip test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.weft.gossip.TrafficBreakdown -Dexec.args=\"10 20\"" \
  sh -c "cd '$root' && mvn -B -q -Dstyle.color=never -pl gossip test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.weft.gossip.TrafficBreakdown -Dexec.args='10 20'"
bench gossip-join "mvn -B -q -Dstyle.color=never -pl gossip test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.weft.gossip.JoinLatency -Dexec.args=\"10\"" \
  sh -c "cd '$root' && mvn -B -q -Dstyle.color=never -pl gossip test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.weft.gossip.JoinLatency -Dexec.args='10'"
bench cni "java -cp agent/target/test-classes:agent/target/classes:<agent classpath> io.weft.agent.cni.CniBenchmark 100 10" \
  sh -c "cd '$root/agent' && mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile='$work/agent-cp.txt' >/dev/null \
    && '$lab_java' -cp \"target/test-classes:target/classes:\$(cat '$work/agent-cp.txt')\" io.weft.agent.cni.CniBenchmark 100 10 | grep -v -e DEBUG -e INFO"
bench podman "java -cp lab/target/classes:lab/target/lib/* io.weft.lab.PodmanBench (needs podman, runc, busybox-static)" \
  "$lab_java" -XX:+UseSerialGC -Xmx128m -Dlab.log.level=WARN -Dlab.prefix="${LAB_PREFIX:-wlab-}" \
  -Dweft.home="$root/agent/target/weft" -Dlab.logs="$root/lab/target/lab-logs" \
  -cp "$lab_cp" io.weft.lab.PodmanBench
bench lab-convergence "java -cp lab/target/classes:lab/target/lib/* io.weft.lab.ConvergenceBench --max-nodes $max_nodes" \
  "$lab_java" -XX:+UseSerialGC -Xmx128m -Dlab.log.level=WARN -Dlab.prefix="${LAB_PREFIX:-wlab-}" \
  -Dweft.home="$root/agent/target/weft" -Dlab.logs="$root/lab/target/lab-logs" \
  -cp "$lab_cp" io.weft.lab.ConvergenceBench --max-nodes "$max_nodes"

bench data-paths "java -cp lab/target/classes:lab/target/lib/* io.weft.lab.PathBench (needs iperf3)" \
  "$lab_java" -XX:+UseSerialGC -Xmx128m -Dlab.log.level=WARN -Dlab.prefix="${LAB_PREFIX:-wlab-}" \
  -Dweft.home="$root/agent/target/weft" -Dlab.logs="$root/lab/target/lab-logs" \
  -cp "$lab_cp" io.weft.lab.PathBench

doc=$root/docs/benchmarks.md
mkdir -p "$root/docs"
{
  echo "# Benchmarks"
  echo
  echo "Written by \`sudo lab/bench.sh\` (do not edit by hand: run it again). Every Weft figure stands beside"
  echo "its reference, measured in the same run on the same machine."
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- java: $("$lab_java" -version 2>&1 | head -n 1)"
  for name in $names; do
    echo
    echo "## $name"
    echo
    echo "Command: \`$(cat "$work/$name.cmd")\` — $(cat "$work/$name.status")"
    echo
    if grep -q '^|' "$work/$name.out"; then
      # A benchmark that prints a markdown table writes its own section body.
      cat "$work/$name.out"
    else
      # Figures only: log lines (timestamp + level) are left out, they stay in the run's own logs.
      echo '```text'
      sed 's/\x1b\[[0-9;]*m//g' "$work/$name.out" \
        | grep -v -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}[.,][0-9]+ +(TRACE|DEBUG|INFO|WARN|ERROR)|^\[' | tail -n 60
      if [ "$(cat "$work/$name.status")" != ok ]; then
        sed 's/\x1b\[[0-9;]*m//g' "$work/$name.out" | grep '^\[ERROR\]' | head -n 3
        tail -n 20 "$work/$name.err"
      fi
      echo '```'
    fi
  done
} > "$doc"
echo "wrote $doc"
