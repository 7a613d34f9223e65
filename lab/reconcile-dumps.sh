#!/bin/bash
# Counts the netlink requests one reconcile sends: a real weft-agent alone in a namespace (tunnels on,
# no peers), strace on its convergence thread (weft-converge) only. Three reconciles: one that changes
# nothing (an unrelated link changes), one that adds (Weft's unreachable route deleted by hand), one that
# replaces (that route changed by hand). Needs root, strace, python3 and a built tree (mvn package).
# Usage: sudo lab/reconcile-dumps.sh [DIST] [PODS]   (DIST default agent/target/weft; PODS extra veths
#        named like pods' host ends, default 0)   LAB_PREFIX=rd- names the namespace ${LAB_PREFIX}dumps.
set -u
root=$(cd "$(dirname "$0")/.." && pwd -P)
dist=${1:-$root/agent/target/weft}
pods=${2:-0}
ns=${LAB_PREFIX:-rd-}dumps
work=$(mktemp -d)
agent_pid=
strace_pid=
finish() {
  [ -n "$strace_pid" ] && kill "$strace_pid" 2>/dev/null
  if [ -n "$agent_pid" ]; then
    kill "$agent_pid" 2>/dev/null
    wait "$agent_pid" 2>/dev/null
  fi
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap finish EXIT
in_ns() { ip netns exec "$ns" "$@"; }
meshctl() { in_ns "$dist/bin/meshctl" --socket "$work/weft.sock" "$@"; }

ip netns del "$ns" 2>/dev/null
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add uplink0 type veth peer name uplink0p
ip -n "$ns" link set uplink0p up
ip -n "$ns" addr add 192.168.79.11/24 dev uplink0
ip -n "$ns" link set uplink0 up
ip -n "$ns" route add default via 192.168.79.1
for i in $(seq "$pods"); do
  h=$(printf 'weft%08x' "$i")
  ip -n "$ns" link add "$h" type veth peer name "p$h"
done
in_ns sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.uplink0.rp_filter=0
# Started directly, not through a shell function: $! is then the agent itself (ip and the launcher exec).
ip netns exec "$ns" "$dist/bin/weft-agent" --node-name dumps --node-ip 192.168.79.11 --state-dir "$work/state" \
  --api-socket "$work/weft.sock" --rt-protos-dir none --resync-interval 60s --adopt-grace 1s --insecure \
  >"$work/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 60); do meshctl status >/dev/null 2>&1 && break; sleep 1; done
sleep 3
tid=$(grep -l '^weft-converge$' /proc/"$agent_pid"/task/*/comm | head -1 | cut -d/ -f5)
[ -n "$tid" ] || { echo "no weft-converge thread; agent log:" >&2; cat "$work/agent.log" >&2; exit 1; }
number() { meshctl status -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["reconcile"]["number"])'; }

measure() { # $1 label, $2 the change that triggers the reconcile
  strace -qq -p "$tid" -e trace=sendto,sendmsg,recvfrom,recvmsg -o "$work/$1.trace" -s 64 &
  strace_pid=$!
  sleep 1
  before=$(number)
  eval "$2"
  sleep 3
  after=$(number)
  kill "$strace_pid"; wait "$strace_pid" 2>/dev/null; strace_pid=
  printf '%-8s %s reconcile(s): ' "$1" "$((after - before))"
  python3 - "$work/$1.trace" <<'PY'
import collections, re, sys
names = {16: 'NEWLINK', 18: 'GETLINK', 19: 'SETLINK', 20: 'NEWADDR', 21: 'DELADDR', 22: 'GETADDR',
         24: 'NEWROUTE', 25: 'DELROUTE', 26: 'GETROUTE', 28: 'NEWNEIGH', 29: 'DELNEIGH', 30: 'GETNEIGH'}
sent, dumps, received = collections.Counter(), 0, 0
for line in open(sys.argv[1]):
    if line.startswith('recv'):
        m = re.search(r'= (\d+)$', line.strip())
        received += int(m.group(1)) if m else 0
        continue
    for m in re.finditer(r'nlmsg_type=(?:0x([0-9a-f]+)|RTM_([A-Z]+))[^,]*, nlmsg_flags=([^,]*)', line):
        kind = names.get(int(m.group(1), 16), m.group(1)) if m.group(1) else m.group(2)
        dump = 'NLM_F_DUMP' in m.group(3) or '0x300' in m.group(3)
        dumps += dump
        sent[('dump ' if dump else '') + kind] += 1
print('%d dumps, %d requests, %d bytes received (%s)' % (dumps, sum(sent.values()), received,
      ', '.join('%s %d' % kv for kv in sorted(sent.items()))))
PY
}
measure nothing "ip -n $ns link set uplink0p mtu 1400"
measure add "ip -n $ns route del unreachable 10.244.0.0/16 proto 87"
measure replace "ip -n $ns route replace 10.244.0.0/16 dev lo proto 87"
